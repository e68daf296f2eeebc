/**
 * Clients from the configuration file (prepareStaticClient) are checked with the registration
 * metadata reasons (docs/errors.md, "Dynamic client registration"), plus the rules only a
 * pre-registered client has: its client_id must not look like a metadata document URL, and a
 * configured secret must be long enough.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOAuthError } from '@gatehouse-oauth/core';
import { prepareStaticClient } from '@gatehouse-oauth/server';
import { APP_REDIRECT, SECRET } from './support/test-server.ts';

const base = {
  client_id: 'configured-app',
  redirect_uris: [APP_REDIRECT],
  token_endpoint_auth_method: 'client_secret_basic',
  client_secret: SECRET,
};

describe('prepareStaticClient refuses', () => {
  const cases: { name: string; metadata: Record<string, unknown>; error: string; reason: string }[] = [
    {
      name: 'a URL client_id (it would be read as a Client ID Metadata Document)',
      metadata: { ...base, client_id: 'https://app.example.test/client.json' },
      error: 'invalid_client_metadata',
      reason: 'client_id_looks_like_url',
    },
    {
      name: 'a configured secret under 32 characters',
      metadata: { ...base, client_secret: 'too-short' },
      error: 'invalid_client_metadata',
      reason: 'secret_too_short',
    },
    {
      name: 'a secret on a public client',
      metadata: { ...base, token_endpoint_auth_method: 'none' },
      error: 'invalid_client_metadata',
      reason: 'secret_for_public_client',
    },
    {
      name: 'the authorization code grant without redirect_uris',
      metadata: { ...base, redirect_uris: [] },
      error: 'invalid_redirect_uri',
      reason: 'redirect_uris_missing',
    },
    {
      name: 'grant and response types that disagree (RFC 7591 §2.1)',
      metadata: { ...base, response_types: [] },
      error: 'invalid_client_metadata',
      reason: 'grant_response_mismatch',
    },
    {
      name: 'a member of the wrong type',
      metadata: { ...base, redirect_uris: 'https://app.example.test/callback' },
      error: 'invalid_client_metadata',
      reason: 'metadata_schema',
    },
  ];
  for (const { name, metadata, error, reason } of cases) {
    it(`${name} → ${error} ${reason}`, () => {
      assert.throws(
        () => prepareStaticClient(metadata, 0),
        (thrown: unknown) => isOAuthError(thrown) && thrown.error === error && thrown.reason === reason,
      );
    });
  }

  it('accepts the same client when nothing is wrong', () => {
    assert.equal(prepareStaticClient(base, 0).record.clientId, 'configured-app');
  });
});
