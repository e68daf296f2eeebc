/**
 * DPoP (RFC 9449) at the authorization server, docs/dpop.md: every proof check at the token endpoint
 * (§4.3), replay (§11.1), `ath` (decision 0011) and the configured algorithms. Every refused request
 * is shown to leave the grant it presented usable.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkDpop } from '../src/dpop/request-dpop.ts';
import {
  assertRefused,
  type Body,
  boundTokens,
  dpopKey,
  PAR,
  post,
  proof,
  refreshParams,
  TOKEN,
} from './support/dpop.ts';
import { contextOf } from './support/server-internals.ts';
import { createTestServer, ISSUER, RESOURCE } from './support/test-server.ts';

describe('DPoP proof checks at the token endpoint (RFC 9449 §4.3)', async () => {
  const t = await createTestServer();
  const key = await dpopKey();
  const other = await dpopKey();
  const tokens = await boundTokens(t, key);
  const refresh = (dpop: string | string[] | undefined) =>
    post(
      t,
      TOKEN,
      refreshParams(tokens.refresh_token),
      dpop === undefined ? {} : Array.isArray(dpop) ? dpop.map((value) => ['dpop', value]) : { dpop },
    );

  const hmacKey = new TextEncoder().encode('a-shared-secret-anyone-could-use-0123456789');
  const cases: [string, () => Promise<string | string[]>, string][] = [
    ['typ other than dpop+jwt (step 4)', () => proof(t, key, { typ: 'jwt' }), 'dpop_typ'],
    ['alg none (step 5)', () => proof(t, key, { alg: 'none' }), 'dpop_alg'],
    [
      'alg HS256, a MAC keyed by anyone (step 5)',
      () => proof(t, key, { alg: 'HS256', signWith: hmacKey }),
      'dpop_alg',
    ],
    [
      'a private key in the header jwk (step 7)',
      async () => proof(t, key, { jwk: { ...key.jwk, d: 'AAAA' } }),
      'dpop_jwk_private',
    ],
    [
      'a signature by another key than the header jwk (step 6)',
      () => proof(t, key, { signWith: other.privateKey }),
      'dpop_signature',
    ],
    ['htm of another method (step 8)', () => proof(t, key, { htm: 'GET' }), 'dpop_htm'],
    ['htu of another endpoint (step 9)', () => proof(t, key, { htu: PAR }), 'dpop_htu'],
    [
      'htu of another host (step 9)',
      () => proof(t, key, { htu: 'https://evil.example.test/token' }),
      'dpop_htu',
    ],
    [
      'iat in the future beyond the skew (step 11)',
      () => proof(t, key, { iat: Math.floor(t.now() / 1000) + 120 }),
      'dpop_iat_future',
    ],
    [
      'iat too old (step 11)',
      () => proof(t, key, { iat: Math.floor(t.now() / 1000) - 400 }),
      'dpop_iat_expired',
    ],
    ['no jti (step 3)', () => proof(t, key, { jti: null }), 'dpop_jti_missing'],
    ['a malformed proof (step 2)', async () => 'not-a-jwt', 'dpop_malformed'],
    ['two DPoP headers (step 1)', async () => [await proof(t, key), await proof(t, key)], 'dpop_multiple'],
  ];
  for (const [name, make, reason] of cases) {
    it(`refuses ${name}: 400 invalid_dpop_proof (${reason}), refresh token untouched`, async () => {
      assertRefused(await refresh(await make()), 'invalid_dpop_proof', reason);
    });
  }

  it('refuses a replayed proof (same jti): 400 invalid_dpop_proof dpop_replay (§11.1)', async () => {
    // Two different requests carrying one proof: the first passes the proof checks (and then
    // fails as an unknown refresh token), the second is refused as a replay before anything else.
    const once = await proof(t, key);
    const first = await post(t, TOKEN, refreshParams('no-such-refresh-token'), { dpop: once });
    assertRefused(first, 'invalid_grant', 'refresh_token_unknown');
    assertRefused(await refresh(once), 'invalid_dpop_proof', 'dpop_replay');
    // The same jti under another key is another proof (the replay key is jkt + jti).
    const jti = randomUUID();
    await post(t, TOKEN, refreshParams('no-such-refresh-token'), { dpop: await proof(t, other, { jti }) });
    assertRefused(
      await post(t, TOKEN, refreshParams('no-such-refresh-token'), { dpop: await proof(t, key, { jti }) }),
      'invalid_grant',
      'refresh_token_unknown',
    );
  });

  it('ignores ath at the token endpoint, where no access token is presented (decision 0011)', async () => {
    const answer = await post(t, TOKEN, refreshParams('no-such-refresh-token'), {
      dpop: await proof(t, key, { claims: { ath: 'not-the-hash-of-anything' } }),
    });
    assertRefused(answer, 'invalid_grant', 'refresh_token_unknown');
  });

  it('checks ath when an access token accompanies the proof (resource access, §4.3 step 12)', async () => {
    const at = async (dpop: string, accessToken: string) => {
      const request = new Request(RESOURCE, { headers: { dpop } });
      const target = { htm: 'GET', htu: RESOURCE, accessToken };
      return checkDpop(request, target, contextOf(t.server), t.now()).then(
        (verified) => verified?.jkt,
        (error: { reason: string }) => error.reason,
      );
    };
    const token = tokens.access_token;
    const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString(
      'base64url',
    );
    const get = { htm: 'GET', htu: RESOURCE };
    assert.equal(await at(await proof(t, key, get), token), 'dpop_ath_missing');
    assert.equal(
      await at(await proof(t, key, { ...get, claims: { ath: 'x'.repeat(43) } }), token),
      'dpop_ath',
    );
    assert.equal(await at(await proof(t, key, { ...get, claims: { ath } }), token), key.jkt);
  });

  it('refuses an algorithm the server was not configured for (dpop.algorithms)', async () => {
    const narrow = await createTestServer({ dpop: { algorithms: ['ES256'] } });
    const rsa = await dpopKey('RS256');
    const answer = await post(narrow, TOKEN, refreshParams('x'), { dpop: await proof(narrow, rsa) });
    assertRefused(answer, 'invalid_dpop_proof', 'dpop_alg');
    const metadata = (await (
      await narrow.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Body;
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, ['ES256']);
  });

  it('after every refusal above, the refresh token still works with a good proof', async () => {
    const answer = await refresh(await proof(t, key));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.token_type, 'DPoP');
  });
});
