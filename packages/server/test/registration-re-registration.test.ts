/** Re-registration recognition (issue #4): the same public software gets the same client_id, storage does not grow. */

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

  it('answers the same public software with the same client_id and a new token; storage does not grow', async () => {
    const t = await createTestServer();
    const first = (await (await t.register(native)).json()) as Json;
    const second = (await (await t.register(native)).json()) as Json;
    assert.equal(second.client_id, first.client_id);
    assert.notEqual(second.registration_access_token, first.registration_access_token);
    assert.equal((await t.store.clients.list()).filter((c) => c.kind === 'dcr').length, 1);
    // The old token is rotated away.
    const old = await t.manage(
      first.registration_client_uri as string,
      'GET',
      first.registration_access_token as string,
    );
    assert.equal(old.status, 401);
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
    assert.notEqual(c.client_id, d.client_id);
    const off = await createTestServer({ registration: { recogniseReRegistration: false } });
    const e = (await (await off.register(native)).json()) as Json;
    const f = (await (await off.register(native)).json()) as Json;
    assert.notEqual(e.client_id, f.client_id);
  });
});
