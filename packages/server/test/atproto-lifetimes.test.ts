/**
 * The atproto profile's token and session lifetimes by client kind (AT-10): confidential clients,
 * public clients, and the confidential lifetimes outside the profile.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refreshTokenDigest } from '../src/store/refresh-token-key.ts';
import {
  atprotoServer,
  type Body,
  CLIENT_ID,
  CONFIDENTIAL_ID,
  confidentialClient,
  DID,
  dpopKey,
  flow,
  refresh,
  WEB_REDIRECT,
} from './support/atproto-profile.ts';
import { contextOf } from './support/server-internals.ts';
import { basic, createTestServer, SECRET, VERIFIER } from './support/test-server.ts';

describe('atproto profile: lifetimes by client kind (AT-10)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();
  const assertion = await confidentialClient(t, documents);
  const DAY_MS = 86400 * 1000;

  it('gives a confidential client 90-day refresh tokens in a year-long session, always with sub and scope', async () => {
    const started = t.now();
    const { tokens } = await flow(t, key, {
      clientId: CONFIDENTIAL_ID,
      redirectUri: WEB_REDIRECT,
      auth: assertion,
    });
    assert.equal(tokens.sub, DID);
    assert.equal(tokens.scope, 'atproto transition:generic');
    const stored = await t.store.refreshTokens.get(refreshTokenDigest(tokens.refresh_token));
    assert.equal(stored?.expiresAt, started + 90 * DAY_MS);
    const family = await t.store.tokenFamilies.get(stored!.familyId);
    assert.equal(family?.expiresAt, started + 365 * DAY_MS);
    // 60 days later: beyond any public client's limit, still within the confidential one.
    t.advance(60 * DAY_MS);
    const refreshed = await refresh(t, key, tokens.refresh_token, CONFIDENTIAL_ID, await assertion());
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.sub, DID, 'AT-10: every token response carries sub');
    assert.equal(refreshed.body.scope, 'atproto transition:generic', 'and scope');
    const next = await t.store.refreshTokens.get(refreshTokenDigest(String(refreshed.body.refresh_token)));
    assert.equal(next?.expiresAt, t.now() + 90 * DAY_MS);
  });

  it('keeps a public client at 14 days', async () => {
    const started = t.now();
    const { tokens } = await flow(t, key);
    const stored = await t.store.refreshTokens.get(refreshTokenDigest(tokens.refresh_token));
    assert.equal(stored?.expiresAt, started + 14 * DAY_MS);
    const family = await t.store.tokenFamilies.get(stored!.familyId);
    assert.equal(family?.expiresAt, started + 14 * DAY_MS);
    t.advance(15 * DAY_MS);
    const refused = await refresh(t, key, tokens.refresh_token, CLIENT_ID);
    assert.equal(refused.reason, 'refresh_token_expired');
  });

  it('outside the profile, confidential lifetimes default to the general ones and apply when set', async () => {
    const plain = await createTestServer();
    assert.equal(contextOf(plain.server).lifetimes.confidentialRefreshTokenSeconds, undefined);
    const tuned = await createTestServer({
      lifetimes: { confidentialRefreshTokenSeconds: 3600, confidentialTokenFamilySeconds: 7200 },
    });
    const callback = await tuned.authorize({ client_id: 'basic-app' });
    const answer = await tuned.token(
      {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: 'https://app.example.test/callback',
        code_verifier: VERIFIER,
      },
      basic('basic-app', SECRET),
    );
    const body = (await answer.json()) as Body;
    assert.equal(answer.status, 200, JSON.stringify(body));
    const stored = await tuned.store.refreshTokens.get(refreshTokenDigest(String(body.refresh_token)));
    assert.equal(stored?.expiresAt, tuned.now() + 3600 * 1000);
    assert.equal(
      (await tuned.store.tokenFamilies.get(stored!.familyId))?.expiresAt,
      tuned.now() + 7200 * 1000,
    );
    const publicTokens = await tuned.tokensFor();
    const publicStored = await tuned.store.refreshTokens.get(
      refreshTokenDigest(String(publicTokens.refresh_token)),
    );
    assert.equal(
      publicStored?.expiresAt,
      tuned.now() + 14 * DAY_MS,
      'public clients keep refreshTokenSeconds',
    );
  });
});
