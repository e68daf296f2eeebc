/**
 * Re-registration recognition (issue #4): the same public software is recognised as one shared
 * record, the software's one entry; since decision 0046 each registrant gets an installation
 * registration of its own under it (registration-installations.test.ts has RFC 7592 on them).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Json, publicClient } from './support/registration.ts';
import { createTestServer } from './support/test-server.ts';

describe('re-registration recognition (issue #4)', () => {
  const native = {
    ...publicClient,
    software_id: 'desktop-app',
    redirect_uris: ['http://127.0.0.1/callback'],
  };

  it('recognises the same public software as one shared record; each registrant gets its own installation', async () => {
    const t = await createTestServer();
    const first = (await (await t.register(native)).json()) as Json;
    const second = (await (await t.register(native)).json()) as Json;
    // Before decision 0046 both got the same client_id and the second token replaced the first;
    // now each registrant has a client_id of its own, linked to the one shared record.
    assert.notEqual(second.client_id, first.client_id);
    assert.notEqual(second.registration_access_token, first.registration_access_token);
    const shared = (await t.store.clients.list()).filter((c) => c.registration?.fingerprint !== undefined);
    assert.equal(shared.length, 1);
    const sharedId = shared[0]!.clientId;
    for (const installed of [first, second]) {
      const record = await t.store.clients.get(installed.client_id as string);
      assert.equal(record?.registration?.sharedRegistration, sharedId);
    }
    // The first token is not rotated away by the second registration.
    const old = await t.manage(
      first.registration_client_uri as string,
      'GET',
      first.registration_access_token as string,
    );
    assert.equal(old.status, 200);
    assert.equal((await t.store.audit.list({ type: 'client.re_registration_recognised' })).length, 1);
  });

  it('never recognises confidential clients, other metadata, or when switched off', async () => {
    const t = await createTestServer();
    const a = (await (
      await t.register({ ...native, token_endpoint_auth_method: 'client_secret_basic' })
    ).json()) as Json;
    const b = (await (
      await t.register({ ...native, token_endpoint_auth_method: 'client_secret_basic' })
    ).json()) as Json;
    assert.notEqual(a.client_id, b.client_id);
    const c = (await (await t.register(native)).json()) as Json;
    const d = (await (await t.register({ ...native, client_name: 'Other' })).json()) as Json;
    const sharedOf = async (info: Json) =>
      (await t.store.clients.get(info.client_id as string))?.registration?.sharedRegistration;
    assert.notEqual(await sharedOf(c), await sharedOf(d));
    const off = await createTestServer({ registration: { recogniseReRegistration: false } });
    const e = (await (await off.register(native)).json()) as Json;
    const f = (await (await off.register(native)).json()) as Json;
    assert.notEqual(e.client_id, f.client_id);
    assert.equal(
      (await off.store.clients.get(e.client_id as string))?.registration?.sharedRegistration,
      undefined,
    );
  });
});
