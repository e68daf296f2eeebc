/**
 * The atproto profile's public client: PAR → authorize → token with DPoP for every client (AT-6,
 * AT-11), the request rules (AT-1, AT-7: state, the atproto scope, no code_challenge or state reused),
 * and the token response `sub` from the subject supplier (AT-10).
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import {
  atprotoServer,
  CLIENT_ID,
  CONFIDENTIAL_ID,
  confidentialClient,
  DID,
  dpopKey,
  flow,
  PAR,
  PDS,
  post,
  proof,
  push,
  refresh,
  requestParams,
  WEB_REDIRECT,
} from './support/atproto-profile.ts';
import { basic, ISSUER, RESOURCE_SERVER, SECRET, VERIFIER } from './support/test-server.ts';

describe('atproto profile: a public client (AT-1, AT-6, AT-7, AT-10, AT-11)', async () => {
  const { t } = await atprotoServer();
  await t.addResourceServer();
  const key = await dpopKey();

  it('completes PAR → authorize → token with DPoP; the response carries the DID as sub', async () => {
    const { tokens } = await flow(t, key);
    assert.equal(tokens.token_type, 'DPoP');
    assert.equal(tokens.sub, DID);
    assert.equal(tokens.scope, 'atproto transition:generic');
    assert.ok(tokens.refresh_token);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, DID, 'the access token sub comes from the subject supplier');
    assert.equal(claims.aud, PDS, 'the default resource is the PDS');
    assert.deepEqual(claims.cnf, { jkt: key.jkt });
    // Refresh: same DPoP key, sub again.
    const refreshed = await refresh(t, key, tokens.refresh_token, CLIENT_ID);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.sub, DID);
    assert.equal(refreshed.response.headers.get('access-control-allow-origin'), '*', 'CORS on token (AT-13)');
    // Introspection (a resource server with credentials) says the same sub.
    const refreshToken = String(refreshed.body.refresh_token);
    const introspected = await post(
      t,
      `${ISSUER}/introspect`,
      { token: refreshToken },
      basic(RESOURCE_SERVER, SECRET),
    );
    assert.equal(introspected.body.active, true);
    assert.equal(introspected.body.sub, DID);
    assert.equal(
      introspected.response.headers.get('access-control-allow-origin'),
      null,
      'no CORS on introspection',
    );
  });

  it('refuses an authorization request that was not pushed (AT-6)', async () => {
    const url = `${ISSUER}/authorize?${new URLSearchParams(requestParams())}`;
    const response = await t.send(url);
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
  });

  it('refuses a pushed request without DPoP (AT-11), asking for a nonce first', async () => {
    const without = await post(t, PAR, requestParams());
    assert.equal(without.status, 400);
    assert.equal(without.body.error, 'invalid_dpop_proof');
    assert.equal(without.reason, 'dpop_required');
    const noNonce = await post(t, PAR, requestParams(), { dpop: await proof(t, key, PAR, null) });
    assert.equal(noNonce.status, 400);
    assert.equal(noNonce.body.error, 'use_dpop_nonce');
    assert.ok(noNonce.response.headers.get('dpop-nonce'));
    assert.equal(noNonce.response.headers.get('access-control-allow-origin'), '*');
    assert.match(noNonce.response.headers.get('access-control-expose-headers') ?? '', /DPoP-Nonce/);
  });

  it('requires state and the atproto scope (AT-7, AT-1)', async () => {
    const noState = await push(t, key, requestParams({ state: undefined }, `${VERIFIER}-a`));
    assert.equal(noState.status, 400);
    assert.equal(noState.reason, 'atproto_state_missing');
    const noScope = await push(t, key, requestParams({ scope: 'transition:generic' }, `${VERIFIER}-b`));
    assert.equal(noScope.status, 400);
    assert.equal(noScope.body.error, 'invalid_scope');
    assert.equal(noScope.reason, 'atproto_scope_missing');
    const none = await push(t, key, requestParams({ scope: undefined }, `${VERIFIER}-c`));
    assert.equal(none.reason, 'atproto_scope_missing');
  });

  it('blocks the reuse of a code_challenge (AT-7)', async () => {
    const verifier = `${VERIFIER}-reused`;
    const first = await push(t, key, requestParams({}, verifier));
    assert.equal(first.status, 201);
    const second = await push(t, key, requestParams({}, verifier));
    assert.equal(second.status, 400);
    assert.equal(second.reason, 'code_challenge_reused');
  });
});

describe('atproto profile: a duplicate state is refused (AT-7)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();
  const assertion = await confidentialClient(t, documents);

  it('accepts a state once per client within 24 hours', async () => {
    const state = `state-${randomUUID()}`;
    const first = await push(t, key, requestParams({ state }, `${VERIFIER}-1`));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await push(t, key, requestParams({ state }, `${VERIFIER}-2`));
    assert.equal(second.status, 400);
    assert.equal(second.body.error, 'invalid_request');
    assert.equal(second.reason, 'state_reused');
    const otherClient = await push(t, key, {
      ...requestParams({ state, client_id: CONFIDENTIAL_ID, redirect_uri: WEB_REDIRECT }, `${VERIFIER}-3`),
      ...(await assertion()),
    });
    assert.equal(otherClient.status, 201, 'another client may use the same value');
    t.advance(24 * 3600 * 1000 + 1000);
    const later = await push(t, key, requestParams({ state }, `${VERIFIER}-4`));
    assert.equal(later.status, 201, 'remembered for 24 hours, like a code_challenge');
  });
});
