/**
 * DPoP at the resource server, RFC 9449 §7 (the DPoP scheme, proof with ath, cnf.jkt binding),
 * §9 (resource server nonces) and §11.1 (proof replay), AT-11. Decision 0011 "Left to callers".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuthenticateResult } from '../src/index.ts';
import {
  challenges,
  type DpopKey,
  dpopKey,
  type Fixture,
  mcpRequest,
  RESOURCE,
  startFixture,
} from './support/fixture.ts';

let f: Fixture;
let key: DpopKey;
before(async () => {
  f = await startFixture();
  key = await dpopKey(f.clock.now);
});
after(() => f.close());

const boundToken = (jkt = key.jkt, claims: Record<string, unknown> = {}) =>
  f.token({ cnf: { jkt }, ...claims });

async function dpopRequest(token: string, proof?: string, url = RESOURCE, method = 'POST') {
  return mcpRequest(
    { authorization: `DPoP ${token}`, ...(proof === undefined ? {} : { dpop: proof }) },
    url,
    method,
  );
}

function refused(result: AuthenticateResult, status: number, error: string, reason: string) {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.error.reason, reason);
  assert.equal(result.response.status, status);
  const header = result.response.headers.get('www-authenticate')!;
  assert.match(header, /^DPoP /);
  const dpop = challenges(header).get('DPoP')!;
  assert.equal(dpop.error, error);
  assert.equal(dpop.algs, 'ES256 ES384 EdDSA RS256 PS256');
  assert.equal(dpop.resource_metadata, 'https://mcp.example/.well-known/oauth-protected-resource/mcp');
  return result;
}

describe('DPoP-bound tokens (RFC 9449 §7.1)', () => {
  it('accepted with the DPoP scheme and a proof by the bound key (ath, htm, htu)', async () => {
    const rs = f.rs();
    const token = await boundToken();
    const result = await rs.authenticate(await dpopRequest(token, await key.proof({ token })));
    assert.equal(result.ok, true);
    if (result.ok) assert.equal(result.auth.extra.jkt, key.jkt);
  });
  it('htu is this resource’s origin and the request path, whatever URL the request arrived on (TLS proxy)', async () => {
    const rs = f.rs();
    const token = await boundToken();
    const proof = await key.proof({ token });
    const result = await rs.authenticate(await dpopRequest(token, proof, 'http://10.0.0.5:3000/mcp?x=1'));
    assert.equal(result.ok, true);
  });
  it('missing DPoP proof for a cnf-bound token', async () => {
    const token = await boundToken();
    refused(
      await f.rs().authenticate(await dpopRequest(token)),
      401,
      'invalid_dpop_proof',
      'dpop_proof_missing',
    );
  });
  it('a bound token presented with the Bearer scheme (§7.2), even with a good proof', async () => {
    const token = await boundToken();
    const request = mcpRequest({ authorization: `Bearer ${token}`, dpop: await key.proof({ token }) });
    refused(await f.rs().authenticate(request), 401, 'invalid_token', 'token_dpop_bound');
  });
  it('the DPoP scheme with a token that is not bound', async () => {
    const token = await f.token();
    refused(
      await f.rs().authenticate(await dpopRequest(token, await key.proof({ token }))),
      401,
      'invalid_token',
      'token_not_dpop_bound',
    );
  });
  it('a proof made with another key than cnf.jkt', async () => {
    const other = await dpopKey(f.clock.now);
    const token = await boundToken();
    refused(
      await f.rs().authenticate(await dpopRequest(token, await other.proof({ token }))),
      401,
      'invalid_dpop_proof',
      'dpop_key_mismatch',
    );
  });
  it('ath mismatch: a proof made for another access token', async () => {
    const token = await boundToken();
    const otherToken = await boundToken();
    refused(
      await f.rs().authenticate(await dpopRequest(token, await key.proof({ token: otherToken }))),
      401,
      'invalid_dpop_proof',
      'dpop_ath',
    );
  });
  it('ath missing', async () => {
    const token = await boundToken();
    refused(
      await f.rs().authenticate(await dpopRequest(token, await key.proof({}))),
      401,
      'invalid_dpop_proof',
      'dpop_ath_missing',
    );
  });
  it('htm or htu of another request', async () => {
    const rs = f.rs();
    const token = await boundToken();
    refused(
      await rs.authenticate(await dpopRequest(token, await key.proof({ token, htm: 'GET' }))),
      401,
      'invalid_dpop_proof',
      'dpop_htm',
    );
    refused(
      await rs.authenticate(
        await dpopRequest(token, await key.proof({ token, htu: 'https://mcp.example/other' })),
      ),
      401,
      'invalid_dpop_proof',
      'dpop_htu',
    );
  });
  it('a proof older than five minutes', async () => {
    const token = await boundToken();
    const iat = Math.floor(f.clock.now() / 1000) - 400;
    refused(
      await f.rs().authenticate(await dpopRequest(token, await key.proof({ token, iat }))),
      401,
      'invalid_dpop_proof',
      'dpop_iat_expired',
    );
  });
  it('replayed proof (§11.1): the same proof twice is refused the second time', async () => {
    const rs = f.rs();
    const token = await boundToken();
    const proof = await key.proof({ token });
    assert.equal((await rs.authenticate(await dpopRequest(token, proof))).ok, true);
    refused(await rs.authenticate(await dpopRequest(token, proof)), 401, 'invalid_dpop_proof', 'dpop_replay');
  });
  it('a refused proof does not burn its jti', async () => {
    const rs = f.rs();
    const token = await boundToken();
    const jti = 'reused-after-refusal';
    const bad = await key.proof({ token, jti, htm: 'GET' });
    assert.equal((await rs.authenticate(await dpopRequest(token, bad))).ok, false);
    assert.equal((await rs.authenticate(await dpopRequest(token, await key.proof({ token, jti })))).ok, true);
  });
  it('two DPoP headers are refused', async () => {
    const token = await boundToken();
    const request = await dpopRequest(token, await key.proof({ token }));
    request.headers.append('dpop', await key.proof({ token }));
    refused(await f.rs().authenticate(request), 401, 'invalid_dpop_proof', 'dpop_multiple');
  });
  it('a shared replay guard is used when given', async () => {
    const seen: string[] = [];
    const rs = f.rs({
      replay: {
        async remember(replayKey, expiresAt, now) {
          seen.push(replayKey);
          assert.ok(expiresAt > now);
          return true;
        },
      },
    });
    const token = await boundToken();
    assert.equal(
      (await rs.authenticate(await dpopRequest(token, await key.proof({ token, jti: 'j1' })))).ok,
      true,
    );
    // Decision 0050: the proof's second first, so the store's index grows at its end.
    assert.equal(seen.length, 1);
    assert.match(seen[0]!, new RegExp(`^dpop:\\d{10}:${key.jkt}:j1$`));
  });
});

describe('dpop.required: Bearer refused outright', () => {
  it('an unbound Bearer token gets 401 with only a DPoP challenge', async () => {
    const rs = f.rs({ dpop: { required: true } });
    refused(
      await rs.authenticate(mcpRequest({ authorization: `Bearer ${await f.token()}` })),
      401,
      'invalid_token',
      'dpop_required',
    );
    const missing = await rs.authenticate(mcpRequest());
    assert.equal(missing.ok, false);
    if (!missing.ok)
      assert.match(missing.response.headers.get('www-authenticate')!, /^DPoP algs=|^DPoP resource_metadata=/);
    assert.equal(rs.metadata().dpop_bound_access_tokens_required, true);
  });
});

describe('resource server nonces (RFC 9449 §9, AT-11)', () => {
  const nonceSecret = 'a-resource-server-nonce-secret-0123456789';
  it('nonce required: 401 use_dpop_nonce with DPoP-Nonce; the retry with it succeeds and gets the next one', async () => {
    const rs = f.rs({ dpop: { nonceSecret } });
    const token = await boundToken();
    const first = refused(
      await rs.authenticate(await dpopRequest(token, await key.proof({ token }))),
      401,
      'use_dpop_nonce',
      'nonce_required',
    );
    const nonce = first.response.headers.get('dpop-nonce');
    assert.ok(nonce);
    const retry = await rs.authenticate(await dpopRequest(token, await key.proof({ token, nonce })));
    assert.equal(retry.ok, true);
    if (retry.ok) assert.equal(retry.headers['DPoP-Nonce'], nonce);
  });
  it('a nonce from another secret is refused as invalid, an old one as stale', async () => {
    const rs = f.rs({ dpop: { nonceSecret } });
    const token = await boundToken();
    refused(
      await rs.authenticate(await dpopRequest(token, await key.proof({ token, nonce: 'A'.repeat(32) }))),
      401,
      'use_dpop_nonce',
      'nonce_invalid',
    );
    const first = await rs.authenticate(await dpopRequest(token, await key.proof({ token })));
    assert.equal(first.ok, false);
    const nonce = first.ok ? '' : first.response.headers.get('dpop-nonce')!;
    f.clock.advance(240_000);
    try {
      const fresh = await boundToken();
      refused(
        await rs.authenticate(await dpopRequest(fresh, await key.proof({ token: fresh, nonce }))),
        401,
        'use_dpop_nonce',
        'nonce_stale',
      );
    } finally {
      f.clock.advance(-240_000);
    }
  });
});
