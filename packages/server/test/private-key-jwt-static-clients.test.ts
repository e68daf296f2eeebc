/** private_key_jwt for pre-registered (static) clients (RFC 7523): the key sources and algorithms they may and may not declare. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OAuthError } from '@gatehouse-oauth/core';
import { exportJWK } from 'jose';
import { prepareStaticClient } from '../src/clients/static-client.ts';
import { es, JWKS_URI } from './support/private-key-jwt.ts';
import { SECRET } from './support/test-server.ts';

describe('private_key_jwt: pre-registered clients', () => {
  const base = {
    client_id: 'svc',
    token_endpoint_auth_method: 'private_key_jwt',
    grant_types: ['refresh_token'],
    response_types: [],
  };
  const reasonOf = (metadata: Record<string, unknown>) => {
    try {
      prepareStaticClient(metadata, 0);
      return 'accepted';
    } catch (error) {
      return (error as OAuthError).reason;
    }
  };

  it('accepts jwks or an https jwks_uri, with an optional asymmetric signing alg, and keeps no secret', () => {
    const inline = prepareStaticClient({ ...base, jwks: { keys: [es.jwk] } }, 0);
    assert.equal(inline.generatedSecret, undefined);
    assert.equal(inline.record.secretDigest, undefined);
    assert.equal(
      reasonOf({ ...base, jwks_uri: JWKS_URI, token_endpoint_auth_signing_alg: 'PS256' }),
      'accepted',
    );
  });

  it('refuses both or neither key source, private key material, http jwks_uri, secrets and symmetric algs', async () => {
    const privateJwk = await exportJWK(es.privateKey);
    assert.equal(reasonOf(base), 'jwks_required');
    assert.equal(reasonOf({ ...base, jwks: { keys: [es.jwk] }, jwks_uri: JWKS_URI }), 'jwks_required');
    assert.equal(reasonOf({ ...base, jwks: { keys: [privateJwk] } }), 'jwks_private_key');
    assert.equal(reasonOf({ ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 'jwks_private_key');
    assert.equal(reasonOf({ ...base, jwks: { keys: [] } }), 'jwks_empty');
    assert.equal(
      reasonOf({ ...base, jwks_uri: 'http://client.example.test/jwks.json' }),
      'jwks_uri_not_https',
    );
    assert.equal(
      reasonOf({ ...base, jwks_uri: JWKS_URI, client_secret: SECRET }),
      'secret_for_public_client',
    );
    assert.equal(
      reasonOf({ ...base, jwks_uri: JWKS_URI, token_endpoint_auth_signing_alg: 'HS256' }),
      'metadata_schema',
    );
    assert.equal(
      reasonOf({ ...base, jwks_uri: JWKS_URI, token_endpoint_auth_signing_alg: 'none' }),
      'metadata_schema',
    );
  });
});
