/**
 * The atproto profile's loopback development client (AT-5): `http://localhost` client_ids with
 * redirect_uri and scope in the query, no fetch, and off outside the profile unless asked for.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { decodeJwt } from 'jose';
import { atprotoServer, DID, dpopKey, flow, push, requestParams } from './support/atproto-profile.ts';
import { createTestServer, ISSUER, VERIFIER } from './support/test-server.ts';

describe('atproto profile: the loopback development client (AT-5)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();

  it('completes the flow with http://localhost and a redirect on an ephemeral port, without any fetch', async () => {
    const { callback, tokens } = await flow(t, key, {
      clientId: 'http://localhost',
      redirectUri: 'http://127.0.0.1:61234/',
      scope: 'atproto',
    });
    assert.equal(callback.origin, 'http://127.0.0.1:61234');
    assert.equal(tokens.sub, DID);
    assert.equal(decodeJwt(tokens.access_token).client_id, 'http://localhost');
  });

  it('takes redirect_uri and scope from the client_id query', async () => {
    const clientId = `http://localhost?redirect_uri=${encodeURIComponent('http://127.0.0.1/callback')}&scope=${encodeURIComponent('atproto transition:generic')}`;
    const { tokens } = await flow(t, key, { clientId, redirectUri: 'http://127.0.0.1:5000/callback' });
    assert.equal(tokens.scope, 'atproto transition:generic');
    const wrongPath = await push(
      t,
      key,
      requestParams({ client_id: clientId, redirect_uri: 'http://127.0.0.1:5000/other' }),
    );
    assert.equal(wrongPath.status, 400);
    assert.equal(wrongPath.reason, 'redirect_uri_mismatch');
    const beyondScope = await push(
      t,
      key,
      requestParams({
        client_id: 'http://localhost',
        redirect_uri: 'http://127.0.0.1/',
        scope: 'atproto transition:generic',
      }),
    );
    assert.equal(beyondScope.body.error, 'invalid_scope', 'the default loopback scope is atproto only');
    assert.equal(documents.fetches('http://localhost'), 0);
  });

  it('is off outside the profile unless asked for', async () => {
    const plain = await createTestServer();
    const response = await plain.send(
      `${ISSUER}/authorize?${new URLSearchParams({ client_id: 'http://localhost', redirect_uri: 'http://127.0.0.1/', response_type: 'code', code_challenge: s256(VERIFIER), code_challenge_method: 'S256' })}`,
    );
    assert.equal(response.status, 400);
    assert.match(await response.text(), /unknown client_id/);
    const enabled = await createTestServer({ atproto: { loopbackClient: true } });
    const allowed = await enabled.send(
      `${ISSUER}/authorize?${new URLSearchParams({ client_id: 'http://localhost', redirect_uri: 'http://127.0.0.1:4000/', response_type: 'code', scope: 'atproto', code_challenge: s256(VERIFIER), code_challenge_method: 'S256' })}`,
    );
    assert.notEqual(allowed.status, 400, await allowed.clone().text());
  });
});
