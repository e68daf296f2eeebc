/**
 * private_key_jwt client authentication, what is accepted: RFC 7523 §2.2 and §3, RFC 7521 §4.2,
 * OAuth 2.1 §2.4.1, CIMD-AUTH-1, CIMD-CHG-2 (key rotation through jwks_uri), AT-9 (key_ops
 * tolerated), audiences (RFC 9126 §2) and clock skew. Through `server.fetch`.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import {
  assertion,
  assertionParams,
  authenticatedAtToken,
  es,
  json,
  rsRotated,
  setup,
} from './support/private-key-jwt.ts';
import { APP_REDIRECT, ISSUER, VERIFIER } from './support/test-server.ts';

describe('private_key_jwt: accepted assertions', () => {
  it('redeems a code and refreshes with ES256 assertions from inline jwks (client_id optional)', async () => {
    const { t } = await setup();
    const callback = await t.authorize({ client_id: 'jwt-es' });
    const code = callback.searchParams.get('code')!;
    const redeemed = await json(
      await t.post(
        '/token',
        assertionParams(await assertion('jwt-es', t.now()), {
          grant_type: 'authorization_code',
          code,
          redirect_uri: APP_REDIRECT,
          code_verifier: VERIFIER,
        }),
      ),
      200,
    );
    assert.equal(typeof redeemed.access_token, 'string');
    const refreshed = await json(
      await t.post(
        '/token',
        assertionParams(await assertion('jwt-es', t.now()), {
          grant_type: 'refresh_token',
          refresh_token: redeemed.refresh_token as string,
          client_id: 'jwt-es',
        }),
      ),
      200,
    );
    assert.equal(typeof refreshed.access_token, 'string');
  });

  it('authenticates at revocation and introspection with RS256 (inline jwks, key_ops "sign" tolerated)', async () => {
    const { t } = await setup();
    const revoked = await t.post(
      '/revoke',
      assertionParams(await assertion('jwt-rs', t.now(), { alg: 'RS256' }), { token: 'x' }),
    );
    assert.equal(revoked.status, 200);
    const info = await json(
      await t.post(
        '/introspect',
        assertionParams(await assertion('jwt-rs', t.now(), { alg: 'RS256' }), { token: 'x' }),
      ),
      200,
    );
    assert.deepEqual(info, { active: false });
    const esInfo = await json(
      await t.post('/introspect', assertionParams(await assertion('jwt-es', t.now()), { token: 'x' })),
      200,
    );
    assert.deepEqual(esInfo, { active: false });
  });

  it('fetches jwks_uri once and serves later assertions from the cache', async () => {
    const { t, fetches, tokenProbe } = await setup();
    await authenticatedAtToken(
      await tokenProbe(assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' }))),
    );
    const revoked = await t.post(
      '/revoke',
      assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' }), { token: 'x' }),
    );
    assert.equal(revoked.status, 200);
    const info = await t.post(
      '/introspect',
      assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' }), { token: 'x' }),
    );
    assert.equal(info.status, 200);
    assert.equal(fetches(), 1);
    t.advance(5 * 60_000 + 1);
    await authenticatedAtToken(
      await tokenProbe(assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' }))),
    );
    assert.equal(fetches(), 2, 'a set older than the 5 min TTL is fetched again');
  });

  it('re-fetches once on an unknown kid (rotation), with a cooldown against fetch storms', async () => {
    const { t, authenticate, refusal, fetches, serve } = await setup();
    await authenticate(assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256' })));
    assert.equal(fetches(), 1);
    // The client rotates: the new key is published, the cached set does not have it yet.
    serve({ keys: [rsRotated.jwk] });
    t.advance(31_000);
    const rotated = await authenticate(
      assertionParams(
        await assertion('jwt-uri', t.now(), { alg: 'RS256', kid: 'rs-2', key: rsRotated.privateKey }),
      ),
    );
    assert.equal(rotated.keyThumbprint, await calculateJwkThumbprint(rsRotated.jwk));
    assert.equal(fetches(), 2);
    // Made-up kids right after: refused without another fetch.
    for (const kid of ['nope-1', 'nope-2', 'nope-3']) {
      await refusal(
        'assertion_key_unknown',
        assertionParams(await assertion('jwt-uri', t.now(), { alg: 'RS256', kid })),
      );
    }
    assert.equal(fetches(), 2);
  });

  it('returns the RFC 7638 thumbprint of the signing key', async () => {
    const { t, authenticate } = await setup();
    const result = await authenticate(assertionParams(await assertion('jwt-es', t.now())));
    assert.equal(result.method, 'private_key_jwt');
    assert.equal(result.client.clientId, 'jwt-es');
    assert.equal(result.keyThumbprint, await calculateJwkThumbprint(es.jwk));
  });

  it('accepts aud = issuer, the token or PAR endpoint (RFC 9126 §2), and an aud array naming the issuer', async () => {
    const { t, authenticate } = await setup();
    for (const aud of [ISSUER, `${ISSUER}/token`, `${ISSUER}/par`, [ISSUER, 'https://other.example.test']]) {
      await authenticate(assertionParams(await assertion('jwt-es', t.now(), { claims: { aud } })));
    }
  });

  it('in strict audience mode accepts only the issuer as a single string', async () => {
    const { t, authenticate, refusal, tokenProbe } = await setup({ strictAudience: true });
    await authenticate(assertionParams(await assertion('jwt-es', t.now())));
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: `${ISSUER}/token` } })),
    );
    await refusal(
      'assertion_audience',
      assertionParams(await assertion('jwt-es', t.now(), { claims: { aud: [ISSUER] } })),
    );
    await authenticatedAtToken(await tokenProbe(assertionParams(await assertion('jwt-es', t.now()))));
  });

  it('allows 30 s of clock skew on exp and iat, and accepts an assertion without iat', async () => {
    const { t, authenticate } = await setup();
    const seconds = Math.floor(t.now() / 1000);
    await authenticate(
      assertionParams(
        await assertion('jwt-es', t.now(), { claims: { exp: seconds - 20, iat: seconds - 80 } }),
      ),
    );
    await authenticate(
      assertionParams(await assertion('jwt-es', t.now(), { claims: { iat: seconds + 20 } })),
    );
    await authenticate(assertionParams(await assertion('jwt-es', t.now(), { omit: ['iat'] })));
    await authenticate(assertionParams(await assertion('jwt-es', t.now(), { kid: undefined })));
    await authenticate(
      assertionParams(await assertion('jwt-es', t.now(), { typ: 'client-authentication+jwt' })),
    );
  });
});
