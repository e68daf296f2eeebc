/**
 * private_key_jwt client authentication, what is refused (RFC 7523 §3, RFC 7521 §4.2, CIMD-AUTH-2,
 * CIMD-AUTH-3): algorithms, audiences, issuers, lifetimes, replays, keys and downgrades. Endpoint
 * tests go through `server.fetch`; the refusal table calls `authenticateClient` directly so it can
 * assert the stable reason of each refusal.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportSPKI, UnsecuredJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import {
  assertion,
  assertionParams,
  impostor,
  JWKS_URI,
  json,
  rs,
  setup,
} from './support/private-key-jwt.ts';
import { basic, ISSUER, SECRET } from './support/test-server.ts';

describe('private_key_jwt: refusals', () => {
  it('refuses a stored client whose metadata carries both jwks and jwks_uri (RFC 7591 §2)', async () => {
    // Registration, static clients and CIMD all refuse such metadata; a record written to the store
    // by other means is still not guessed at.
    const { t, tokenProbe } = await setup();
    const client = (await t.store.clients.get('jwt-es'))!;
    await t.store.clients.put({
      ...client,
      clientId: 'jwt-both',
      metadata: { ...client.metadata, client_id: 'jwt-both', jwks_uri: JWKS_URI },
    });
    const response = await tokenProbe(assertionParams(await assertion('jwt-both', t.now())));
    assert.equal((await json(response, 401)).error, 'invalid_client');
    assert.equal(t.lastOutcome()?.reason, 'client_jwks_conflict');
  });

  it('answers 401 invalid_client without a WWW-Authenticate challenge (Basic was not used)', async () => {
    const { t, tokenProbe } = await setup();
    const response = await tokenProbe(
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: 'https://evil.example.test' } })),
    );
    const body = await json(response, 401);
    assert.equal(body.error, 'invalid_client');
    assert.match(String(body.error_description), /aud/);
    assert.equal(response.headers.get('www-authenticate'), null);
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('refuses a wrong client_assertion_type, a missing assertion and a non-JWT', async () => {
    const { t, refusal } = await setup();
    const jwt = await assertion('jwt-es', t.now());
    await refusal('assertion_type', {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      client_assertion: jwt,
    });
    await refusal('assertion_type', { client_assertion: jwt });
    await refusal('assertion_malformed', { client_assertion_type: CLIENT_ASSERTION_TYPE });
    await refusal('assertion_malformed', assertionParams('not.a.jwt'));
  });

  it('refuses HS256 signed with the public key as secret, alg none, and an alg the client did not register', async () => {
    const { t, refusal } = await setup();
    const publicPem = new TextEncoder().encode(await exportSPKI(rs.publicKey));
    await refusal(
      'assertion_alg',
      assertionParams(await assertion('jwt-rs', t.now(), { alg: 'HS256', key: publicPem })),
    );
    const seconds = Math.floor(t.now() / 1000);
    const unsecured = new UnsecuredJWT({
      iss: 'jwt-es',
      sub: 'jwt-es',
      aud: ISSUER,
      exp: seconds + 60,
      jti: 'n',
    }).encode();
    await refusal('assertion_alg', assertionParams(unsecured));
    await refusal(
      'assertion_alg',
      assertionParams(await assertion('jwt-es-only', t.now(), { alg: 'RS256' })),
    );
  });

  it('refuses a wrong aud, iss or sub, and a client_id that differs from them', async () => {
    const { t, refusal } = await setup();
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: 'https://evil.example.test' } })),
    );
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: `${ISSUER}/revoke` } })),
    );
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { omit: ['aud'] })),
    );
    await refusal(
      'assertion_issuer',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { iss: 'someone-else' } })),
    );
    await refusal(
      'assertion_malformed',
      assertionParams(await assertion('jwt-es', t.now(), { omit: ['sub'] })),
    );
    await refusal(
      'assertion_client_id_mismatch',
      assertionParams(await assertion('jwt-es', t.now()), { client_id: 'jwt-rs' }),
    );
  });

  it('refuses expired, too long-lived, stale, future and not-yet-valid assertions, and a missing exp', async () => {
    const { t, refusal } = await setup();
    const seconds = Math.floor(t.now() / 1000);
    const with_ = async (claims: Record<string, unknown>, omit: string[] = []) =>
      assertionParams(await assertion('jwt-es', t.now(), { claims, omit }));
    await refusal('assertion_expired', await with_({ exp: seconds - 31, iat: seconds - 60 }));
    await refusal('assertion_lifetime', await with_({ exp: seconds + 3600 }));
    await refusal('assertion_malformed', await with_({}, ['exp']));
    await refusal('assertion_iat', await with_({ iat: seconds - 600 }));
    await refusal('assertion_iat', await with_({ iat: seconds + 120 }));
    await refusal('assertion_not_yet_valid', await with_({ nbf: seconds + 120 }));
  });

  it('refuses a replayed jti and a missing jti', async () => {
    const { t, authenticate, refusal } = await setup();
    const jwt = await assertion('jwt-es', t.now());
    await authenticate(assertionParams(jwt));
    await refusal('assertion_replayed', assertionParams(jwt));
    await refusal('assertion_jti', assertionParams(await assertion('jwt-es', t.now(), { omit: ['jti'] })));
  });

  it('refuses a signature by another key, an unknown kid and a foreign typ', async () => {
    const { t, refusal } = await setup();
    await refusal(
      'assertion_signature',
      assertionParams(await assertion('jwt-es', t.now(), { key: impostor.privateKey })),
    );
    await refusal(
      'assertion_signature',
      assertionParams(await assertion('jwt-es', t.now(), { key: impostor.privateKey, kid: undefined })),
    );
    await refusal(
      'assertion_key_unknown',
      assertionParams(await assertion('jwt-es', t.now(), { kid: 'other' })),
    );
    await refusal(
      'assertion_key_unknown',
      assertionParams(await assertion('jwt-es', t.now(), { alg: 'RS256', kid: 'rs-1' })),
    );
    await refusal('assertion_typ', assertionParams(await assertion('jwt-es', t.now(), { typ: 'at+jwt' })));
  });

  it('never lets a private_key_jwt client downgrade to none or a secret (CIMD-AUTH-2)', async () => {
    const { t, refusal, tokenProbe } = await setup();
    await refusal('auth_method_mismatch', { client_id: 'jwt-es' });
    await refusal('auth_method_mismatch', { client_id: 'jwt-es', client_secret: SECRET });
    await refusal('auth_method_mismatch', {}, basic('jwt-es', SECRET));
    // And the other way round: a secret client cannot switch to an assertion.
    await refusal('auth_method_mismatch', assertionParams(await assertion('basic-app', t.now())));
    const body = await json(await tokenProbe({ client_id: 'jwt-es' }), 401);
    assert.equal(body.error, 'invalid_client');
  });

  it('refuses two methods at once as invalid_request', async () => {
    const { t, tokenProbe } = await setup();
    const response = await t.post(
      '/token',
      assertionParams(await assertion('jwt-es', t.now()), {
        grant_type: 'refresh_token',
        refresh_token: 'x',
      }),
      basic('jwt-es', SECRET),
    );
    assert.equal((await json(response, 400)).error, 'invalid_request');
    const withSecret = await tokenProbe(
      assertionParams(await assertion('jwt-es', t.now()), { client_secret: SECRET }),
    );
    assert.equal((await json(withSecret, 400)).error, 'invalid_request');
  });

  it('refuses jwks_uri clients when no fetcher is configured, or when the fetch fails', async () => {
    const noFetcher = await setup({ fetcher: false });
    await noFetcher.refusal(
      'jwks_unavailable',
      assertionParams(await assertion('jwt-uri', noFetcher.t.now(), { alg: 'RS256' })),
    );
    await json(
      await noFetcher.tokenProbe(
        assertionParams(await assertion('jwt-uri', noFetcher.t.now(), { alg: 'RS256' })),
      ),
      401,
    );
    const failing = await setup();
    failing.serve(new Error('connect refused'));
    await failing.refusal(
      'jwks_unavailable',
      assertionParams(await assertion('jwt-uri', failing.t.now(), { alg: 'RS256' })),
    );
    failing.serve({ not: 'a jwks' });
    await failing.refusal(
      'jwks_unavailable',
      assertionParams(await assertion('jwt-uri', failing.t.now(), { alg: 'RS256' })),
    );
  });
});
