/**
 * DPoP server nonces (RFC 9449 §8, AT-11), docs/dpop.md: stateless, shared by every server on a
 * store, stale ones answered with a fresh one, a proof refused for its nonce not spent, the window
 * bounded at start-up.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { type AuthorizationServerOptions, createAuthorizationServer } from '../src/index.ts';
import {
  assertRefused,
  boundTokens,
  code,
  codeParams,
  currentNonce,
  dpopKey,
  post,
  proof,
  refreshParams,
  TOKEN,
} from './support/dpop.ts';
import { createTestServer, ISSUER, RESOURCE } from './support/test-server.ts';

describe('DPoP nonces (RFC 9449 §8, AT-11)', async () => {
  const t = await createTestServer();
  const key = await dpopKey();

  it('asks for a nonce: 400 use_dpop_nonce with a DPoP-Nonce header; the retry with it succeeds', async () => {
    const tokens = await boundTokens(t, key);
    const first = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key, { nonce: null }),
    });
    assertRefused(first, 'use_dpop_nonce', 'nonce_required');
    const nonce = first.response.headers.get('dpop-nonce');
    assert.match(nonce ?? '', /^[A-Za-z0-9_-]{32}$/);
    assert.equal(first.response.headers.get('cache-control'), 'no-store');
    const retry = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key, { nonce: nonce! }),
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    // §8.2: a successful response carries the nonce to use next.
    assert.match(retry.response.headers.get('dpop-nonce') ?? '', /^[A-Za-z0-9_-]{32}$/);
  });

  it('refuses a nonce this server did not make: use_dpop_nonce (nonce_invalid) with a fresh one', async () => {
    const answer = await post(t, TOKEN, refreshParams('x'), {
      dpop: await proof(t, key, { nonce: 'A'.repeat(32) }),
    });
    assertRefused(answer, 'use_dpop_nonce', 'nonce_invalid');
    assert.equal(answer.response.headers.get('dpop-nonce'), await currentNonce(t));
  });

  it('accepts a nonce for a few minutes, then answers nonce_stale with a fresh one', async () => {
    const tokens = await boundTokens(t, key);
    const old = await currentNonce(t);
    t.advance(120_000);
    // Two windows later it is still good (recently stale ones SHOULD be accepted, AT-11).
    const fine = await post(t, TOKEN, refreshParams('x'), { dpop: await proof(t, key, { nonce: old }) });
    assertRefused(fine, 'invalid_grant', 'refresh_token_unknown');
    t.advance(120_000);
    const stale = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key, { nonce: old }),
    });
    assertRefused(stale, 'use_dpop_nonce', 'nonce_stale');
    const fresh = stale.response.headers.get('dpop-nonce');
    assert.ok(fresh !== null && fresh !== old);
    const retry = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key, { nonce: fresh }),
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
  });

  it('a proof refused for its nonce is not spent: the same jti passes with a nonce', async () => {
    const jti = randomUUID();
    const first = await post(t, TOKEN, refreshParams('x'), {
      dpop: await proof(t, key, { jti, nonce: null }),
    });
    assertRefused(first, 'use_dpop_nonce', 'nonce_required');
    const second = await post(t, TOKEN, refreshParams('x'), { dpop: await proof(t, key, { jti }) });
    assertRefused(second, 'invalid_grant', 'refresh_token_unknown');
  });

  it('accepts a nonce minted by another server on the same store, refuses one from another store', async () => {
    const options = (store = t.store): AuthorizationServerOptions => ({
      issuer: ISSUER,
      store,
      clock: () => t.now(),
      resources: [{ uri: RESOURCE, scopes: ['mcp:tools'] }],
    });
    const sibling = createAuthorizationServer(options());
    const minted = await post({ server: sibling }, TOKEN, refreshParams('x'), {
      dpop: await proof(t, key, { nonce: null }),
    });
    assertRefused(minted, 'use_dpop_nonce', 'nonce_required');
    const nonce = minted.response.headers.get('dpop-nonce')!;
    const here = await post(t, TOKEN, refreshParams('x'), { dpop: await proof(t, key, { nonce }) });
    assertRefused(here, 'invalid_grant', 'refresh_token_unknown');

    const stranger = await createTestServer();
    const elsewhere = await post(stranger, TOKEN, refreshParams('x'), {
      dpop: await proof(stranger, key, { nonce }),
    });
    assertRefused(elsewhere, 'use_dpop_nonce', 'nonce_invalid');
  });

  it('with dpop.nonce off, asks for no nonce and sends none', async () => {
    const relaxed = await createTestServer({ dpop: { nonce: 'off' } });
    const answer = await post(relaxed, TOKEN, codeParams(await code(relaxed)), {
      dpop: await proof(relaxed, key, { nonce: null }),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.token_type, 'DPoP');
    assert.equal(answer.response.headers.get('dpop-nonce'), null);
  });

  it('refuses a nonce window over 5 minutes at start-up (AT-11)', async () => {
    await assert.rejects(
      createTestServer({ dpop: { windowSeconds: 301 } }),
      /dpop\.windowSeconds: must be at most 300/,
    );
    await assert.rejects(createTestServer({ dpop: { algorithms: ['HS256'] } }), /HS256/);
  });
});
