/**
 * `gatehouse clients list|show` of a recognised (shared) registration and its installation
 * registrations (issue #17 item 2, decision 0046, docs/inventory.md), in their own process against
 * the SQLite file a server registered them in: the listing shows the shared record once, its
 * installations with `--installations-of`; `show` counts and names them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuthorizationServer, openSqliteStore } from '@gatehouse-oauth/server';
import { EXIT_CODES } from '../src/exit-codes.ts';
import { run } from './support/cli-process.ts';

const ISSUER = 'https://as.example.test';

describe('gatehouse clients list|show: a shared registration and its installations', () => {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-installations-'));
  const gatehouse = (...args: string[]) => run([...args, '--data', data]);
  const installations: string[] = [];
  let sharedId = '';

  before(async () => {
    const store = openSqliteStore({ path: join(data, 'gatehouse.sqlite') });
    const server = createAuthorizationServer({ issuer: ISSUER, store });
    for (let index = 0; index < 2; index++) {
      const response = await server.fetch(
        new Request(`${ISSUER}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            redirect_uris: ['http://127.0.0.1/callback'],
            token_endpoint_auth_method: 'none',
            software_id: 'desktop-app',
          }),
        }),
        { remoteAddress: '192.0.2.1' },
      );
      assert.equal(response.status, 201);
      installations.push(((await response.json()) as { client_id: string }).client_id);
    }
    installations.sort();
    sharedId = (await store.clients.get(installations[0]!))?.registration?.sharedRegistration ?? '';
    await server.stop();
    await store.close();
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('lists the shared record once, its installations with --installations-of', async () => {
    const listed = await gatehouse('clients', 'list', '--kind', 'dcr', '--json');
    assert.equal(listed.code, EXIT_CODES.ok.code, listed.stderr);
    const entries = JSON.parse(listed.stdout) as { clientId: string; shared?: boolean }[];
    assert.deepEqual(
      entries.map((entry) => [entry.clientId, entry.shared]),
      [[sharedId, true]],
    );
    const members = await gatehouse('clients', 'list', '--installations-of', sharedId);
    assert.equal(members.code, EXIT_CODES.ok.code, members.stderr);
    assert.deepEqual(
      members.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[0]),
      installations,
    );
  });

  it('shows a shared record with its installations, and an installation with its shared record', async () => {
    const shown = await gatehouse('clients', 'show', sharedId);
    assert.equal(shown.code, EXIT_CODES.ok.code, shown.stderr);
    assert.match(shown.stdout, /shared\s+recognised registration with 2 installation registrations/);
    for (const id of installations) assert.ok(shown.stdout.includes(id));
    const json = JSON.parse((await gatehouse('clients', 'show', sharedId, '--json')).stdout) as {
      installationRegistrations: { count: number; clientIds: string[] };
    };
    assert.deepEqual(json.installationRegistrations, { count: 2, clientIds: installations });
    const member = await gatehouse('clients', 'show', installations[0]!);
    assert.match(member.stdout, new RegExp(`shared\\s+an installation of ${sharedId}`));
  });
});
