/**
 * Trust tiers (issue #13 item 4): access token, refresh token and session lifetimes per tier, the
 * local tier's short logins, sessions begun before a placement; under the atproto profile, AT-10.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { createAuthorizationServer } from '../src/index.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { refreshTokenDigest } from '../src/store/refresh-token-key.ts';
import { assertRefusal } from './support/refusal.ts';
import { createTestServer, ISSUER, LOOPBACK_REDIRECT } from './support/test-server.ts';
import { DAY, placeInTier, refresh, type Tokens } from './support/trust-tiers.ts';

describe('trust tiers: token lifetimes', () => {
  it('sets the access token, refresh token and session lifetimes where the tier sets them', async () => {
    const t = await createTestServer({
      governance: {
        tiers: { trusted: { accessTokenSeconds: 120, refreshTokenSeconds: 3600, tokenFamilySeconds: 7200 } },
      },
    });
    const issuedAt = t.now();
    const tokens = await t.tokensFor();
    assert.equal(tokens.expires_in, 120);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.exp! - claims.iat!, 120);
    const stored = await t.store.refreshTokens.get(refreshTokenDigest(tokens.refresh_token!));
    assert.equal(stored?.expiresAt, issuedAt + 3600_000);
    const family = await t.store.tokenFamilies.get(String(claims.jti).split('.')[0]!);
    assert.equal(family?.expiresAt, issuedAt + 7200_000);
    // Each refresh token lives the tier's hour, never past the session's two.
    t.advance(3000_000);
    const next = (await (await refresh(t, tokens.refresh_token!)).json()) as Tokens;
    assert.equal(next.expires_in, 120);
    const nextExpiry = (await t.store.refreshTokens.get(refreshTokenDigest(next.refresh_token!)))?.expiresAt;
    assert.equal(nextExpiry, issuedAt + 6600_000);
    t.advance(3000_000);
    const last = (await (await refresh(t, next.refresh_token!)).json()) as Tokens;
    const lastExpiry = (await t.store.refreshTokens.get(refreshTokenDigest(last.refresh_token!)))?.expiresAt;
    assert.equal(lastExpiry, issuedAt + 7200_000);
  });

  it('local keeps logins short by default: a day per refresh token, a week per session', async () => {
    const t = await createTestServer();
    await t.addClient({
      client_id: 'cli-app',
      redirect_uris: [LOOPBACK_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    const issuedAt = t.now();
    const params = { client_id: 'cli-app', redirect_uri: LOOPBACK_REDIRECT };
    const tokens = await t.tokensFor(params);
    assert.equal(
      (await t.store.refreshTokens.get(refreshTokenDigest(tokens.refresh_token!)))?.expiresAt,
      issuedAt + DAY,
    );
    const familyId = String(decodeJwt(tokens.access_token).jti).split('.')[0]!;
    assert.equal((await t.store.tokenFamilies.get(familyId))?.expiresAt, issuedAt + 7 * DAY);
  });

  it('a tier’s session lifetime also ends the sessions begun before the client was placed in it', async () => {
    const t = await createTestServer({
      governance: { tiers: { selfAsserted: { tokenFamilySeconds: 3600 } } },
    });
    const tokens = await t.tokensFor();
    t.advance(2 * 3600_000);
    await placeInTier(t, 'public-app', 'self-asserted');
    const response = await refresh(t, tokens.refresh_token!);
    await assertRefusal(t, response, {
      status: 400,
      error: 'invalid_grant',
      reason: 'refresh_token_expired',
    });
  });
});

describe('trust tiers under the atproto profile', () => {
  it('refuses tier lifetimes beyond AT-10, which replace the profile’s for the tier’s clients', () => {
    const base = {
      issuer: ISSUER,
      store: createMemoryStore(),
      resources: [{ uri: 'https://pds.example.test', scopes: [] }],
      profile: 'atproto' as const,
    };
    assert.throws(
      () =>
        createAuthorizationServer({
          ...base,
          governance: { tiers: { trusted: { accessTokenSeconds: 3600 } } },
        }),
      /governance\.tiers\.trusted\.accessTokenSeconds must be under 30 minutes \(AT-10\)/,
    );
    assert.throws(
      () =>
        createAuthorizationServer({
          ...base,
          governance: { tiers: { selfAsserted: { refreshTokenSeconds: 30 * 86_400 } } },
        }),
      /governance\.tiers\.selfAsserted: refresh tokens and sessions of at most 2 weeks \(AT-10\)/,
    );
    // The defaults (local: a day, a week) are within.
    assert.ok(createAuthorizationServer(base));
  });
});
