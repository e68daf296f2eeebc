/** CIMD §4 document validation (CIMD-DOC-*) with the documents real clients publish (fixtures/cimd/). */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClientMetadata, validateClientMetadataDocument } from '../src/index.ts';
import { assertRefused, fixture } from './support/cimd-documents.ts';

interface VendorCase {
  file: string;
  auth: 'none' | 'private_key_jwt';
  grants: string[];
  warnings: string[];
}

// What Gatehouse makes of each real document with the default policy.
const vendors: VendorCase[] = [
  {
    file: 'claude-ai',
    auth: 'none',
    grants: ['authorization_code', 'refresh_token'],
    warnings: ['cimd_grant_types_dropped'], // jwt-bearer (CIMD-DOC-11)
  },
  {
    file: 'claude-code',
    auth: 'none',
    grants: ['authorization_code', 'refresh_token'],
    warnings: ['cimd_redirect_all_loopback'],
  },
  {
    file: 'vscode',
    auth: 'none',
    grants: ['authorization_code', 'refresh_token'],
    warnings: ['cimd_grant_types_dropped'], // device_code
  },
  { file: 'chatgpt', auth: 'private_key_jwt', grants: ['authorization_code', 'refresh_token'], warnings: [] },
  {
    file: 'chatgpt-connector',
    auth: 'private_key_jwt',
    grants: ['authorization_code', 'refresh_token'],
    warnings: [],
  },
  {
    file: 'opencode',
    auth: 'none',
    grants: ['authorization_code', 'refresh_token'],
    warnings: ['cimd_redirect_all_loopback'],
  },
  {
    file: 'atproto-confidential',
    auth: 'private_key_jwt',
    grants: ['authorization_code', 'refresh_token'],
    warnings: [],
  },
  {
    file: 'mcp-spec-example',
    auth: 'none',
    grants: ['authorization_code'],
    warnings: ['cimd_redirect_all_loopback'],
  },
];

describe('real client documents', () => {
  for (const vendor of vendors) {
    it(`accepts ${vendor.file}`, () => {
      const document = fixture(vendor.file);
      const { metadata, findings } = validateClientMetadataDocument(document, String(document.client_id));
      assert.equal(metadata.client_id, document.client_id);
      assert.equal(metadata.token_endpoint_auth_method, vendor.auth);
      assert.deepEqual(metadata.grant_types, vendor.grants);
      assert.deepEqual(metadata.response_types, ['code']);
      assert.deepEqual(metadata.redirect_uris, document.redirect_uris);
      assert.deepEqual(
        findings.map((finding) => finding.reason),
        vendor.warnings,
      );
      // Usable wherever the server expects ClientMetadata.
      const asClient: ClientMetadata = metadata;
      assert.equal(asClient.client_name, document.client_name);
    });
  }

  it('keeps application_type, jwks_uri, signing alg and dpop_bound_access_tokens; drops unknown members', () => {
    const { metadata } = validateClientMetadataDocument(
      fixture('atproto-confidential'),
      'https://githubsky.tomo-x.win/api/client-metadata.json',
    );
    assert.equal(metadata.application_type, 'web');
    assert.equal(metadata.jwks_uri, 'https://githubsky.tomo-x.win/api/jwks.json');
    assert.equal(metadata.token_endpoint_auth_signing_alg, 'ES256');
    assert.equal(metadata.dpop_bound_access_tokens, true);
    assert.equal('subject_type' in metadata, false); // CIMD-DOC-2: ignored
    const vscode = validateClientMetadataDocument(
      fixture('vscode'),
      'https://vscode.dev/oauth/client-metadata.json',
    );
    assert.equal(vscode.metadata.application_type, 'native');
  });

  it('refuses the atproto document without client_name (MCP requires it, CIMD-DOC-8)', () => {
    const document = fixture('atproto-public-no-name');
    assertRefused(
      () => validateClientMetadataDocument(document, String(document.client_id)),
      'cimd_client_name_missing',
    );
  });

  it('refuses a vendor document served at another URL (CIMD-DOC-1)', () => {
    assertRefused(
      () => validateClientMetadataDocument(fixture('chatgpt'), 'https://chatgpt.com:443/oauth/client.json'),
      'cimd_client_id_mismatch',
    );
  });
});
