/**
 * DPoP and client authentication (RFC 9449 §8, issue #5): the nonce is asked for before client
 * authentication, so a retry reuses the same private_key_jwt assertion at PAR and token, and the code
 * is not burnt.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import { assertRefused, code, codeParams, dpopKey, PAR, post, proof, push, TOKEN } from './support/dpop.ts';
import { APP_REDIRECT, createTestServer, ISSUER } from './support/test-server.ts';

describe('DPoP and client authentication: the nonce first (issue #5)', async () => {
  const t = await createTestServer();
  const key = await dpopKey();
  const clientKey = await generateKeyPair('ES256', { extractable: true });
  await t.addClient({
    client_id: 'jwt-app',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [{ ...(await exportJWK(clientKey.publicKey)), kid: 'k1' }] },
    redirect_uris: [APP_REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
  });
  const assertion = () => {
    const now = Math.floor(t.now() / 1000);
    return new SignJWT({ iss: 'jwt-app', sub: 'jwt-app', aud: ISSUER, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(clientKey.privateKey);
  };
  const authenticated = async () => ({
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await assertion(),
  });

  it('PAR: a use_dpop_nonce retry reuses the same client assertion successfully', async () => {
    const params = { ...(await authenticated()), client_id: 'jwt-app' };
    const first = await push(t, params, { dpop: await proof(t, key, { htu: PAR, nonce: null }) });
    assertRefused(first, 'use_dpop_nonce', 'nonce_required');
    const nonce = first.response.headers.get('dpop-nonce')!;
    const retry = await push(t, params, { dpop: await proof(t, key, { htu: PAR, nonce }) });
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.match(retry.response.headers.get('dpop-nonce') ?? '', /^[A-Za-z0-9_-]{32}$/);
    // The assertion was spent by the successful request, not by the nonce round trip.
    const again = await push(t, params, { dpop: await proof(t, key, { htu: PAR }) });
    assert.equal(again.status, 401);
    assert.equal(again.reason, 'assertion_replayed');
  });

  it('token: a use_dpop_nonce retry reuses the same client assertion, and the code is not burnt', async () => {
    const codeValue = await code(t, { client_id: 'jwt-app' });
    const params = { ...codeParams(codeValue, ''), ...(await authenticated()) };
    const first = await post(t, TOKEN, params, { dpop: await proof(t, key, { nonce: null }) });
    assertRefused(first, 'use_dpop_nonce', 'nonce_required');
    const retry = await post(t, TOKEN, params, {
      dpop: await proof(t, key, { nonce: first.response.headers.get('dpop-nonce')! }),
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.token_type, 'DPoP');
  });
});
