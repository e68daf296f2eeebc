/**
 * What the trust tier tests (trust-tiers-*.test.ts, issue #13 item 4) share: a server with stub CIMD
 * documents, the consent page and the tier it states, placing clients in a tier by a stored rule,
 * refresh and registration requests.
 */

import assert from 'node:assert/strict';
import type { TrustTier } from '@gatehouse-oauth/core';
import { isPage, type Page } from '../../../../test/support/user-agent.ts';
import type { AuthorizationServerOptions } from '../../src/index.ts';
import { contextOf } from './server-internals.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './stub-documents.ts';
import { createTestServer, ISSUER, PASSWORD } from './test-server.ts';

export type TestServer = Awaited<ReturnType<typeof createTestServer>>;
export type Tokens = { access_token: string; refresh_token?: string; scope: string; expires_in: number };

export const atClient = (location: string) => !location.startsWith(`${ISSUER}/`);
export const DAY = 86_400_000;

/** A test server whose CIMD fetches answer CIMD_URL with the example document plus `document`. */
export async function withDocuments(
  overrides: Partial<AuthorizationServerOptions>,
  document: Record<string, unknown>,
) {
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument(document));
  return createTestServer({ outboundFetch: documents.fetch, ...overrides });
}

/** Signs in as alice in a new browser and answers the consent page the request leads to. */
export async function consentPage(
  t: TestServer,
  params: Record<string, string | undefined> = {},
): Promise<Page> {
  const ua = t.userAgent();
  const login = await ua.navigate(t.authorizationUrl(params), atClient);
  assert.ok(isPage(login), 'the login page');
  const consent = await ua.submit(login, { username: 'alice', password: PASSWORD }, atClient);
  assert.ok(isPage(consent) && consent.html.includes('name="decision"'), 'the consent page');
  return consent;
}

export async function tierOnPage(t: TestServer, params: Record<string, string | undefined> = {}) {
  return /Trust tier: <strong>([^<]+)<\/strong>/.exec((await consentPage(t, params)).html)?.[1];
}

/** Places the clients `selector` selects in `tier` through a stored rule, as the CLI would. */
export async function placeInTier(t: TestServer, selector: string, tier: TrustTier): Promise<void> {
  const at = t.now();
  await t.store.governance.putRule({ selector, tier, updatedBy: 'cli:test', createdAt: at, updatedAt: at });
  await contextOf(t.server).governance.reload();
}

export function refresh(t: TestServer, refreshToken: string, extra: Record<string, string> = {}) {
  return t.token({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: 'public-app',
    ...extra,
  });
}

export async function register(t: TestServer, redirectUris: string[]): Promise<string> {
  const response = await t.register({
    redirect_uris: redirectUris,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { client_id: string }).client_id;
}
