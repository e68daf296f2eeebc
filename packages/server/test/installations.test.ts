/**
 * Installations (issue #17 item 3, decision 0044): the machines under one grant told apart by DPoP
 * key or, without DPoP, by refresh-token family, for loopback and private-use redirects; one
 * derivation (grants/installation.ts) read by the connections and revocation by installation.
 * DPoP-bound installations over real TLS with oauth4webapi: test/e2e/installations.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { authorizeInBrowser } from '../../../test/support/authorize-in-browser.ts';
import { UserAgent } from '../../../test/support/user-agent.ts';
import { ADMIN_OPERATIONS } from '../src/admin/admin-openapi.ts';
import { installationKeyOf, installationsOf, redirectSharedByMachines } from '../src/grants/installation.ts';
import { assertRefusal } from './support/refusal.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { createTestServer, ISSUER, PASSWORD } from './support/test-server.ts';

const LOOPBACK = 'http://127.0.0.1/callback';
type Operations = typeof ADMIN_OPERATIONS;

async function answer<Id extends keyof Operations>(
  response: Response,
  operation: Id,
): Promise<z.output<Operations[Id]['answer']>> {
  assert.equal(response.status, 200, await response.clone().text());
  return ADMIN_OPERATIONS[operation].answer.parse(await response.json()) as z.output<
    Operations[Id]['answer']
  >;
}

describe('installation keys', () => {
  const grant = (redirectUri: string) => ({ clientId: 'c', redirectUri });
  it('loopback and private-use redirects are shared by machines; https and http hosts are not', () => {
    for (const uri of [
      'http://127.0.0.1/cb',
      'http://[::1]:8080/cb',
      'http://localhost/cb',
      'com.example.app:/cb',
    ])
      assert.equal(redirectSharedByMachines(uri), true, uri);
    for (const uri of ['https://app.example/cb', 'http://app.example/cb'])
      assert.equal(redirectSharedByMachines(uri), false, uri);
  });

  it('tells machines apart by DPoP key, else by family, only where the redirect is shared', () => {
    const a = { id: 'f1', dpopJkt: 'key-a' };
    const a2 = { id: 'f2', dpopJkt: 'key-a' };
    const b = { id: 'f3', dpopJkt: 'key-b' };
    const plain = { id: 'f4' };
    const loop = grant(LOOPBACK);
    assert.equal(installationKeyOf(loop, a), installationKeyOf(loop, a2));
    assert.notEqual(installationKeyOf(loop, a), installationKeyOf(loop, b));
    assert.notEqual(installationKeyOf(loop, plain), installationKeyOf(loop, { id: 'f5' }));
    const web = grant('https://app.example/cb');
    assert.equal(installationKeyOf(web, a), installationKeyOf(web, b));
    assert.equal(installationKeyOf(web, a), installationKeyOf(web));
    assert.deepEqual(
      installationsOf(loop, [a, b, a2, plain]).map(({ dpopJkt, families }) => [dpopJkt, families.length]),
      [
        ['key-a', 2],
        ['key-b', 1],
        [undefined, 1],
      ],
    );
    assert.deepEqual(installationsOf(loop, []), [{ key: installationKeyOf(loop), families: [] }]);
  });
});

describe('revoking one installation of a loopback client (admin API)', () => {
  it('without DPoP, two refresh families are two installations: revoke one, the other refreshes', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument({ redirect_uris: [LOOPBACK] }));
    const t = await createTestServer({ outboundFetch: documents.fetch });
    const writer = await t.server.admin.tokens.issue({ scope: 'write', actor: 'test' });
    const call = (method: string, path: string, body?: unknown) =>
      t.send(`${ISSUER}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${writer.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    // Two machines of one user: the same registered loopback redirect, each on its own port.
    const signIn = async (port: number) => {
      const redirectUri = `http://127.0.0.1:${port}/callback`;
      const callback = await authorizeInBrowser(
        new UserAgent(t.send),
        t.authorizationUrl({ client_id: CIMD_URL, redirect_uri: redirectUri }),
        ISSUER,
        { username: 'alice', password: PASSWORD },
      );
      const response = await t.token(
        t.redeemParams(callback, { client_id: CIMD_URL, redirect_uri: redirectUri }),
      );
      assert.equal(response.status, 200);
      return (await response.json()) as { refresh_token: string };
    };
    const laptop = await signIn(50001);
    t.advance(1000); // so the installations list in sign-in order
    const desktop = await signIn(50002);

    const { connections } = await answer(await call('GET', '/users/alice/connections'), 'userConnections');
    assert.equal(connections.length, 1, 'one grant: one consent for the redirect');
    const [connection] = connections;
    assert.deepEqual(
      connection!.installations.map((installation) => installation.live_sessions),
      [1, 1],
    );
    const [first, second] = connection!.installations;
    const revoke = (installation: string) =>
      call('POST', `/connections/${connection!.grant_id}/installation-revocations`, { installation });

    const revoked = await answer(await revoke(first!.key), 'revokeInstallation');
    assert.deepEqual([revoked.families_revoked, revoked.grant_revoked], [1, false]);
    const refresh = (token: string) =>
      t.token({ grant_type: 'refresh_token', refresh_token: token, client_id: CIMD_URL });
    assert.equal((await refresh(laptop.refresh_token)).status, 400, 'the revoked machine is signed out');
    const renewed = await refresh(desktop.refresh_token);
    assert.equal(renewed.status, 200, 'the other machine still refreshes');
    const [event] = await t.store.audit.list({ type: 'installation.revoked' });
    assert.equal(event?.actor, `admin-token:${writer.issued.id}`);
    assert.equal(event?.detail?.installation, first!.key);

    await assertRefusal(t, await revoke(first!.key), {
      status: 404,
      error: 'invalid_request',
      reason: 'installation_not_found',
    });
    // The last installation leaving takes the grant with it.
    const last = await answer(await revoke(second!.key), 'revokeInstallation');
    assert.deepEqual([last.families_revoked, last.grant_revoked], [1, true]);
    assert.equal((await t.store.grants.get(connection!.grant_id))?.revokedAt !== undefined, true);
    await assertRefusal(t, await revoke(second!.key), {
      status: 404,
      error: 'invalid_request',
      reason: 'grant_not_found',
    });
  });
});
