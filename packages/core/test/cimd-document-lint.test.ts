/** `lintClientMetadataDocument`: the findings (errors, warnings) a CIMD document's publisher sees (CIMD-DOC-*). */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintClientMetadataDocument } from '../src/index.ts';
import { base, fixture } from './support/cimd-documents.ts';

describe('lintClientMetadataDocument', () => {
  it('returns every finding without throwing', () => {
    const { metadata, findings } = lintClientMetadataDocument(
      {
        client_id: 'https://app.example.com/c',
        client_secret: 'x',
        token_endpoint_auth_method: 'client_secret_post',
        redirect_uris: ['http://app.example.com/cb'],
        logo_uri: 'data:image/png;base64,AA',
      },
      'https://app.example.com/c',
    );
    assert.equal(metadata, undefined);
    assert.deepEqual(
      findings.filter((finding) => finding.level === 'error').map((finding) => finding.id),
      ['CIMD-DOC-4', 'CIMD-FETCH-9', 'CIMD-DOC-8', 'CIMD-REDIR-1', 'CIMD-DOC-3'],
    );
  });

  it('uses the document client_id as the URL when none is given, and checks it', () => {
    const { findings } = lintClientMetadataDocument(
      { ...base, client_id: 'https://app.example.com/a/../c' },
      undefined,
    );
    assert.deepEqual(
      findings.map((finding) => finding.reason),
      ['cimd_url_dot_segment'],
    );
    const missing = lintClientMetadataDocument({ ...base, client_id: undefined }, undefined);
    assert.deepEqual(
      missing.findings.map((finding) => finding.reason),
      ['cimd_client_id_missing'],
    );
  });

  it('returns the normalised metadata when there is no error', () => {
    const { metadata, findings } = lintClientMetadataDocument(fixture('vscode'), undefined);
    assert.equal(metadata?.token_endpoint_auth_method, 'none');
    assert.deepEqual(
      findings.map((finding) => finding.id),
      ['CIMD-DOC-11'],
    );
  });
});
