/**
 * DPoP key binding (RFC 9449), docs/dpop.md: of the code (§10 `dpop_jkt`, PAR), of the access token
 * (`cnf.jkt`, `token_type: DPoP`, §5, §6) and of a public client's refresh tokens (§5), introspection
 * (§6.2), dpop_bound_access_tokens clients (§5.2) and the metadata (§5.1, AT-12).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { decodeJwt } from 'jose';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import {
  assertRefused,
  authorizeUrl,
  type Body,
  boundTokens,
  code,
  codeParams,
  dpopKey,
  login,
  PAR,
  post,
  proof,
  push,
  refreshParams,
  TOKEN,
} from './support/dpop.ts';
import {
  APP_REDIRECT,
  basic,
  createTestServer,
  ISSUER,
  RESOURCE_SERVER,
  SECRET,
  VERIFIER,
} from './support/test-server.ts';

describe('DPoP key binding (RFC 9449 §5, §6, §10)', async () => {
  const t = await createTestServer();
  await t.addResourceServer();
  const key = await dpopKey();
  const other = await dpopKey();

  it('binds the access token: token_type DPoP and cnf.jkt; introspection says so (§6.1, §6.2)', async () => {
    const tokens = await boundTokens(t, key);
    assert.equal(tokens.token_type, 'DPoP');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: key.jkt });
    const introspection = await post(
      t,
      `${ISSUER}/introspect`,
      { token: tokens.access_token },
      basic(RESOURCE_SERVER, SECRET),
    );
    assert.equal(introspection.body.active, true);
    assert.equal(introspection.body.token_type, 'DPoP');
    assert.deepEqual(introspection.body.cnf, { jkt: key.jkt });
  });

  it('issues Bearer tokens without cnf to a request without DPoP', async () => {
    const answer = await post(t, TOKEN, codeParams(await code(t)));
    assert.equal(answer.body.token_type, 'Bearer');
    assert.equal(decodeJwt(answer.body.access_token as string).cnf, undefined);
    const introspection = await post(
      t,
      `${ISSUER}/introspect`,
      { token: answer.body.access_token as string },
      basic(RESOURCE_SERVER, SECRET),
    );
    assert.equal(introspection.body.token_type, 'Bearer');
    assert.equal(introspection.body.cnf, undefined);
  });

  it("binds a public client's refresh token to the key: no proof or another key is invalid_grant", async () => {
    const tokens = await boundTokens(t, key);
    assertRefused(
      await post(t, TOKEN, refreshParams(tokens.refresh_token)),
      'invalid_grant',
      'dpop_proof_required',
    );
    assertRefused(
      await post(t, TOKEN, refreshParams(tokens.refresh_token), { dpop: await proof(t, other) }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
    // Neither refusal rotated the token: the rightful key still refreshes, and stays bound.
    const refreshed = await post(t, TOKEN, refreshParams(tokens.refresh_token), {
      dpop: await proof(t, key),
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.deepEqual(decodeJwt(refreshed.body.access_token as string).cnf, { jkt: key.jkt });
    assertRefused(
      await post(t, TOKEN, refreshParams(refreshed.body.refresh_token as string), {
        dpop: await proof(t, other),
      }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
  });

  it('lets a confidential client rebind at refresh: its refresh token is bound to its credentials', async () => {
    const callback = await t.authorize({ client_id: 'basic-app' });
    const first = await post(t, TOKEN, codeParams(callback.searchParams.get('code')!, ''), {
      ...basic('basic-app', SECRET),
      dpop: await proof(t, key),
    });
    assert.equal(first.body.token_type, 'DPoP');
    const moved = await post(
      t,
      TOKEN,
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string },
      { ...basic('basic-app', SECRET), dpop: await proof(t, other) },
    );
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(decodeJwt(moved.body.access_token as string).cnf, { jkt: other.jkt });
  });

  it('PAR with a proof binds the code to its key (§10.1): another key or none is invalid_grant', async () => {
    const pushAndAuthorize = async () => {
      const pushed = await push(t, {}, { dpop: await proof(t, key, { htu: PAR }) });
      assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
      const callback = await authorizeInBrowser(
        t.userAgent(),
        authorizeUrl(pushed.body.request_uri as string),
        ISSUER,
        login,
      );
      return { code: callback.searchParams.get('code')!, requestUri: pushed.body.request_uri as string };
    };
    const wrongKey = await pushAndAuthorize();
    assertRefused(
      await post(t, TOKEN, codeParams(wrongKey.code), { dpop: await proof(t, other) }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
    const noProof = await pushAndAuthorize();
    assertRefused(await post(t, TOKEN, codeParams(noProof.code)), 'invalid_grant', 'dpop_proof_required');
    const right = await pushAndAuthorize();
    const tokens = await post(t, TOKEN, codeParams(right.code), { dpop: await proof(t, key) });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.deepEqual(decodeJwt(tokens.body.access_token as string).cnf, { jkt: key.jkt });
    // A used request_uri stays used (RFC 9126 §4), DPoP or not.
    const replayed = await t.send(authorizeUrl(right.requestUri));
    assert.equal(replayed.status, 400);
    assert.match(await replayed.text(), /unknown, expired or was already used/);
  });

  it('PAR with dpop_jkt and a proof of another key is refused, and nothing is pushed', async () => {
    const answer = await push(t, { dpop_jkt: other.jkt }, { dpop: await proof(t, key, { htu: PAR }) });
    assertRefused(answer, 'invalid_dpop_proof', 'dpop_jkt_mismatch');
    assert.equal(answer.body.request_uri, undefined);
  });

  it('PAR with dpop_jkt alone binds the code to that key', async () => {
    const pushed = await push(t, { dpop_jkt: other.jkt });
    assert.equal(pushed.status, 201);
    const callback = await authorizeInBrowser(
      t.userAgent(),
      authorizeUrl(pushed.body.request_uri as string),
      ISSUER,
      login,
    );
    const codeValue = callback.searchParams.get('code')!;
    assertRefused(
      await post(t, TOKEN, codeParams(codeValue), { dpop: await proof(t, key) }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
  });

  it('/authorize accepts dpop_jkt (§10): the code is redeemed only with that key', async () => {
    const bound = await code(t, { dpop_jkt: key.jkt });
    const answer = await post(t, TOKEN, codeParams(bound), { dpop: await proof(t, key) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const mismatched = await code(t, { dpop_jkt: key.jkt });
    assertRefused(
      await post(t, TOKEN, codeParams(mismatched), { dpop: await proof(t, other) }),
      'invalid_grant',
      'dpop_key_mismatch',
    );
  });

  it('/authorize refuses a malformed dpop_jkt with a redirect to the client', async () => {
    const response = await t.send(t.authorizationUrl({ dpop_jkt: 'not a thumbprint' }));
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, APP_REDIRECT);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
  });

  it('refuses a proof-less token request from a dpop_bound_access_tokens client (§5.2), leaving the code usable', async () => {
    await t.addClient({
      client_id: 'dpop-only',
      redirect_uris: [APP_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      dpop_bound_access_tokens: true,
    });
    const codeValue = await code(t, { client_id: 'dpop-only' });
    const refused = await post(t, TOKEN, codeParams(codeValue, 'dpop-only'));
    assertRefused(refused, 'invalid_dpop_proof', 'dpop_required');
    assert.match(refused.response.headers.get('dpop-nonce') ?? '', /^[A-Za-z0-9_-]{32}$/);
    const answer = await post(t, TOKEN, codeParams(codeValue, 'dpop-only'), { dpop: await proof(t, key) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  });

  it('with dpop.required, refuses every token request without a proof', async () => {
    const strict = await createTestServer({ dpop: { required: true } });
    const codeValue = await code(strict);
    assertRefused(await post(strict, TOKEN, codeParams(codeValue)), 'invalid_dpop_proof', 'dpop_required');
    const answer = await post(strict, TOKEN, codeParams(codeValue), { dpop: await proof(strict, key) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  });

  it('publishes dpop_signing_alg_values_supported with ES256 (RFC 9449 §5.1, AT-12)', async () => {
    const metadata = (await (
      await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Body;
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, [
      'ES256',
      'ES384',
      'EdDSA',
      'RS256',
      'PS256',
    ]);
  });

  it('PKCE still applies to a DPoP-bound code', async () => {
    const bound = await code(t, { code_challenge: s256(`${VERIFIER}-other`) });
    assertRefused(
      await post(t, TOKEN, codeParams(bound), { dpop: await proof(t, key) }),
      'invalid_grant',
      'pkce_mismatch',
    );
  });
});
