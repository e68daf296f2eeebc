/**
 * What the client inventory tests (client-inventory-*.test.ts, issue #14) share: a memory-store server
 * with stub CIMD documents and users, the installations and clients they use, time units.
 */

import assert from 'node:assert/strict';
import { authorizeInBrowser } from '../../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../../test/support/user-agent.ts';
import { hashPassword } from '../../src/users/password.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './stub-documents.ts';
import { createTestServer, ISSUER, PASSWORD } from './test-server.ts';

export const INSTALLATION_A = 'https://app.example.test/callback';
export const INSTALLATION_B = 'https://app.example.test/desktop';
export const SUBDOMAIN_CLIENT = 'https://eu.client.example.test/oauth/client.json';
export const OTHER_CLIENT = 'https://other.example.net/client.json';
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export type Tokens = { access_token: string; refresh_token?: string };

export async function inventoryServer() {
  const documents = stubDocuments();
  documents.publish(
    CIMD_URL,
    cimdDocument({
      redirect_uris: [INSTALLATION_A, INSTALLATION_B],
      contacts: ['security@client.example.test'],
    }),
  );
  documents.publish(
    SUBDOMAIN_CLIENT,
    cimdDocument({
      client_id: SUBDOMAIN_CLIENT,
      client_name: 'EU',
      redirect_uris: ['https://eu.client.example.test/cb'],
    }),
  );
  documents.publish(
    OTHER_CLIENT,
    cimdDocument({
      client_id: OTHER_CLIENT,
      client_name: 'Other',
      redirect_uris: ['https://other.example.net/cb'],
    }),
  );
  const t = await createTestServer({ outboundFetch: documents.fetch });
  await t.store.users.create({
    id: 'user-bob',
    username: 'bob',
    passwordHash: await hashPassword(PASSWORD),
    createdAt: t.now(),
  });
  /** A code flow of `username` for `clientId` from the installation `redirectUri`, redeemed. */
  const use = async (username: string, clientId: string, redirectUri: string): Promise<Tokens> => {
    const callback = await authorizeInBrowser(
      new UserAgent(t.send),
      t.authorizationUrl({ client_id: clientId, redirect_uri: redirectUri }),
      ISSUER,
      { username, password: PASSWORD },
    );
    const response = await t.token(
      t.redeemParams(callback, { client_id: clientId, redirect_uri: redirectUri }),
    );
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Tokens;
  };
  const refresh = (clientId: string, tokens: Tokens) =>
    t.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId });
  return { t, documents, use, refresh, inventory: t.server.inventory };
}
