/**
 * RFC 7592 per installation on a recognised (shared) registration (issue #17 item 2, decision
 * 0046): two installations of one recognised registration, each managing its own (DCR-MG-4,
 * DCR-MG-6, DCR-MG-7), on the memory store and on a SQLite file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { digest } from '../src/crypto/digest.ts';
import { reapRegistrations } from '../src/registration/reaper.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { type Json, publicClient } from './support/registration.ts';
import { createTestServer, ISSUER } from './support/test-server.ts';

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-installations-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

const native = { ...publicClient, software_id: 'desktop-app' };

const backends: [string, () => Store][] = [
  ['memory', createMemoryStore],
  ['sqlite', () => openSqliteStore({ path: join(directory, `store-${++files}.db`) })],
];

interface Installed {
  clientId: string;
  uri: string;
  token: string;
  info: Json;
}

async function twoInstallations(store: Store) {
  const t = await createTestServer({ store });
  const install = async (): Promise<Installed> => {
    const response = await t.register(native);
    assert.equal(response.status, 201);
    const info = (await response.json()) as Json;
    return {
      clientId: info.client_id as string,
      uri: info.registration_client_uri as string,
      token: info.registration_access_token as string,
      info,
    };
  };
  const a = await install();
  const b = await install();
  const sharedId = (await t.store.clients.get(a.clientId))?.registration?.sharedRegistration;
  assert.ok(sharedId !== undefined, 'the installation names its shared record');
  return { t, a, b, sharedId };
}

for (const [backend, open] of backends) {
  describe(`RFC 7592 per installation (${backend})`, () => {
    it('gives each registrant a client_id and token of its own; both GET their own registration', async () => {
      const { t, a, b, sharedId } = await twoInstallations(open());
      assert.notEqual(a.clientId, b.clientId);
      assert.notEqual(a.token, b.token);
      const shared = await t.store.clients.get(sharedId);
      assert.notEqual(
        shared?.registration?.fingerprint,
        undefined,
        'the shared record is the recognised one',
      );
      assert.equal(shared?.registration?.installationsOnly, true);
      assert.equal((await t.store.clients.get(b.clientId))?.registration?.sharedRegistration, sharedId);
      assert.deepEqual(await t.store.clients.listInstallations(sharedId), [a.clientId, b.clientId].sort());
      for (const installed of [a, b]) {
        // The first registrant's token still works after the second registration (DCR-MG-4).
        const response = await t.manage(installed.uri, 'GET', installed.token);
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), installed.info);
      }
      // Neither token manages the other installation, nor the shared record.
      assert.equal((await t.manage(b.uri, 'GET', a.token)).status, 401);
      assert.equal((await t.manage(b.uri.replace(b.clientId, sharedId), 'GET', a.token)).status, 401);
      const recognised = await t.store.audit.list({ type: 'client.re_registration_recognised' });
      assert.deepEqual(
        recognised.map((event) => [event.clientId, event.detail?.installation]),
        [[sharedId, b.clientId]],
      );
    });

    it('DELETE by one revokes only its grants; DELETE by the last removes the shared record', async () => {
      const { t, a, b, sharedId } = await twoInstallations(open());
      const tokensA = await t.tokensFor({ client_id: a.clientId });
      const tokensB = await t.tokensFor({ client_id: b.clientId });
      assert.equal((await t.manage(a.uri, 'DELETE', a.token)).status, 204);
      assert.equal(await t.store.clients.get(a.clientId), undefined);
      const refreshA = await t.token({
        grant_type: 'refresh_token',
        refresh_token: tokensA.refresh_token!,
        client_id: a.clientId,
      });
      assert.equal(refreshA.status, 401, 'its client is gone');
      // The other installation keeps refreshing, and the shared record stays.
      const refreshB = await t.token({
        grant_type: 'refresh_token',
        refresh_token: tokensB.refresh_token!,
        client_id: b.clientId,
      });
      assert.equal(refreshB.status, 200);
      assert.notEqual(await t.store.clients.get(sharedId), undefined);
      assert.deepEqual(await t.store.clients.listInstallations(sharedId), [b.clientId]);

      assert.equal((await t.manage(b.uri, 'DELETE', b.token)).status, 204);
      assert.equal(await t.store.clients.get(sharedId), undefined);
      const removed = (await t.store.audit.list({ type: 'client.removed' })).reverse();
      assert.deepEqual(
        removed.map((event) => [event.clientId, event.actor, event.reason]),
        [
          [a.clientId, `client:${a.clientId}`, 'client_request'],
          [b.clientId, `client:${b.clientId}`, 'client_request'],
          [sharedId, `client:${b.clientId}`, 'client_request'],
        ],
      );
      assert.equal(removed.at(-1)?.detail?.last_installation, b.clientId);
      // The software registering again finds no shared record and makes a new one.
      const again = (await (await t.register(native)).json()) as Json;
      const next = (await t.store.clients.get(again.client_id as string))?.registration?.sharedRegistration;
      assert.ok(next !== undefined && next !== sharedId);
    });

    it('PUT that changes metadata moves that installation out; PUT unchanged keeps it', async () => {
      const { t, a, b, sharedId } = await twoInstallations(open());
      const tokensA = await t.tokensFor({ client_id: a.clientId });
      // Unchanged (the metadata as registered): still an installation of the shared record.
      const same = await t.manage(a.uri, 'PUT', a.token, { client_id: a.clientId, ...native });
      assert.equal(same.status, 200);
      // The token rotates on update (the default), so each call uses the one last handed out.
      let token = ((await same.json()) as Json).registration_access_token as string;
      assert.equal((await t.store.clients.get(a.clientId))?.registration?.sharedRegistration, sharedId);
      // Changed: a registration of its own, with its client_id and grants.
      const changed = await t.manage(a.uri, 'PUT', token, {
        client_id: a.clientId,
        ...native,
        client_name: 'Renamed',
      });
      assert.equal(changed.status, 200);
      const answer = (await changed.json()) as Json;
      assert.equal(answer.client_id, a.clientId);
      token = answer.registration_access_token as string;
      const moved = await t.store.clients.get(a.clientId);
      assert.equal(moved?.registration?.sharedRegistration, undefined);
      assert.equal(moved?.registration?.fingerprint, undefined);
      assert.deepEqual(await t.store.clients.listInstallations(sharedId), [b.clientId]);
      const refreshA = await t.token({
        grant_type: 'refresh_token',
        refresh_token: tokensA.refresh_token!,
        client_id: a.clientId,
      });
      assert.equal(refreshA.status, 200, 'its grants stay');
      assert.equal((await t.manage(b.uri, 'GET', b.token)).status, 200, 'the other is unaffected');
      const [updated] = await t.store.audit.list({ type: 'client.updated' }); // newest first
      assert.equal(updated?.detail?.left_shared_registration, sharedId);
      // Its own registration now: a later PUT back to the shared metadata does not rejoin.
      assert.equal((await t.manage(a.uri, 'PUT', token, { client_id: a.clientId, ...native })).status, 200);
      assert.deepEqual(await t.store.clients.listInstallations(sharedId), [b.clientId]);
    });

    it('the reaper takes unused installations, never a shared record one of them still names', async () => {
      const { t, a, b, sharedId } = await twoInstallations(open());
      await t.tokensFor({ client_id: a.clientId });
      t.advance(25 * 60 * 60 * 1000);
      const deps = { store: t.store, clock: t.now, lifecycle: t.server.clients };
      assert.equal(await reapRegistrations(deps), 1, 'the never-used installation');
      assert.equal(await t.store.clients.get(b.clientId), undefined);
      assert.notEqual(await t.store.clients.get(a.clientId), undefined);
      assert.notEqual(await t.store.clients.get(sharedId), undefined, 'named by the used one');
      assert.equal((await t.manage(a.uri, 'GET', a.token)).status, 200);
    });

    it('first registrations of one software at once make one shared record, every one its installation', async () => {
      const t = await createTestServer({ store: open() });
      const responses = await Promise.all(Array.from({ length: 6 }, () => t.register(native)));
      const ids: string[] = [];
      for (const response of responses) {
        assert.equal(response.status, 201);
        ids.push(((await response.json()) as Json).client_id as string);
      }
      const shared = await t.store.audit.list({ type: 'client.registered' });
      const anchors = shared.filter((event) => event.detail?.shared === true);
      assert.equal(anchors.length, 1, 'one shared record was made');
      const sharedId = anchors[0]!.clientId!;
      assert.deepEqual(await t.store.clients.listInstallations(sharedId), ids.sort());
      assert.equal((await t.store.audit.list({ type: 'client.re_registration_recognised' })).length, 5);
    });

    it('a shared record made before installations still refuses PUT and DELETE with 403', async () => {
      const t = await createTestServer({ store: open() });
      const token = 'old-registrants-token';
      const clientId = 'dcr_before_0046';
      await t.store.clients.put({
        clientId,
        kind: 'dcr',
        metadata: {
          ...native,
          client_id: clientId,
          token_endpoint_auth_method: 'none',
          response_types: ['code'],
        },
        createdAt: 0,
        updatedAt: 0,
        registration: { accessTokenDigest: digest(token), fingerprint: 'fp-old' },
      });
      const uri = `${ISSUER}/register/${clientId}`;
      assert.equal((await t.manage(uri, 'GET', token)).status, 200);
      assert.equal((await t.manage(uri, 'PUT', token, { client_id: clientId, ...native })).status, 403);
      assert.equal(t.lastOutcome()?.reason, 'shared_registration');
      assert.equal((await t.manage(uri, 'DELETE', token)).status, 403);
      assert.equal(t.lastOutcome()?.reason, 'shared_registration');
      assert.notEqual(await t.store.clients.get(clientId), undefined);
    });
  });
}
