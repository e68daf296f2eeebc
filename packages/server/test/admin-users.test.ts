/**
 * The admin API's local accounts (issue #15): GET /admin/v1/users and PATCH /admin/v1/users/{user}
 * through `server.fetch` on the memory store: the answer as its schema says, each change audited
 * with the token's actor and before/after, a disabled account refused at login, the new password
 * working, refusals with their reasons, and a read token refused for a change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USER_OPERATIONS } from '../src/admin/admin-user-operations.ts';
import { verifyPassword } from '../src/users/password.ts';
import { assertRefusal } from './support/refusal.ts';
import { createTestServer, ISSUER } from './support/test-server.ts';

async function usersServer() {
  const t = await createTestServer();
  const writer = await t.server.admin.tokens.issue({ scope: 'write', actor: 'test' });
  const reader = await t.server.admin.tokens.issue({ scope: 'read', actor: 'test' });
  const call = (method: string, path: string, body?: unknown, token = writer.token) =>
    t.send(`${ISSUER}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { t, call, reader, actor: `admin-token:${writer.issued.id}` };
}

describe('admin API: local accounts', () => {
  it('lists the accounts with their standing and role, never a password hash', async () => {
    const { call } = await usersServer();
    const answer = await call('GET', '/users');
    assert.equal(answer.status, 200);
    const { users } = USER_OPERATIONS.listUsers.answer.parse(await answer.json());
    assert.deepEqual(
      users.map((user) => [user.username, user.disabled, user.admin]),
      [['alice', false, false]],
    );
  });

  it('disables, enables, grants admin and sets a password, each audited with the actor and before/after', async () => {
    const { t, call, actor } = await usersServer();
    const disabled = await call('PATCH', '/users/alice', { disabled: true, admin: true });
    assert.equal(disabled.status, 200, await disabled.clone().text());
    const body = USER_OPERATIONS.updateUser.answer.parse(await disabled.json());
    assert.deepEqual(body.changed, ['disabled', 'admin']);
    assert.equal(body.user.disabled, true);
    assert.equal(body.user.admin, true);
    const event = (await t.store.audit.list({ type: 'user.disabled' }))[0];
    assert.equal(event?.actor, actor);
    assert.deepEqual(event?.detail, {
      username: 'alice',
      before: { disabled: false },
      after: { disabled: true },
    });
    assert.equal((await t.store.audit.list({ type: 'user.admin_granted' }))[0]?.actor, actor);
    // Nothing to change: nothing audited again.
    const again = USER_OPERATIONS.updateUser.answer.parse(
      await (await call('PATCH', '/users/alice', { disabled: true })).json(),
    );
    assert.deepEqual(again.changed, []);
    assert.equal((await t.store.audit.list({ type: 'user.disabled' })).length, 1);
    await call('PATCH', '/users/user-alice', { disabled: false, password: 'a brand new password' });
    const alice = await t.store.users.get('user-alice');
    assert.equal(alice?.disabledAt, undefined);
    assert.ok(await verifyPassword('a brand new password', alice!.passwordHash));
    assert.equal((await t.store.audit.list({ type: 'user.password_set' }))[0]?.actor, actor);
    assert.equal((await t.store.audit.list({ type: 'user.enabled' }))[0]?.actor, actor);
  });

  it('refuses an unknown account, a short password, an unknown member and a read token', async () => {
    const { t, call, reader } = await usersServer();
    await assertRefusal(t, await call('PATCH', '/users/nobody', { disabled: true }), {
      status: 404,
      error: 'invalid_request',
      reason: 'user_not_found',
    });
    await assertRefusal(t, await call('PATCH', '/users/alice', { password: 'short' }), {
      status: 400,
      error: 'invalid_request',
      reason: 'body_invalid',
    });
    await assertRefusal(t, await call('PATCH', '/users/alice', { role: 'root' }), {
      status: 400,
      error: 'invalid_request',
      reason: 'body_invalid',
    });
    await assertRefusal(t, await call('PATCH', '/users/alice', { disabled: true }, reader.token), {
      status: 403,
      error: 'insufficient_scope',
      reason: 'admin_token_scope',
    });
    assert.equal((await t.store.users.get('user-alice'))?.disabledAt, undefined);
  });
});
