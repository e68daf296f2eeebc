/**
 * The operator's governance operations (governance/governance-admin.ts, issue #13), against a real
 * (memory) store and the one client lifecycle: every write stored in one spelling, published on the
 * client change feed, audited once with its actor, the rule before and after; a call that changes
 * nothing writes nothing; a block revokes every grant of each stored client it selects; file rules
 * are listed but never written; refusals carry stable reasons.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOAuthError } from '@gatehouse-oauth/core';
import type { Audit } from '../src/audit/audit-trail.ts';
import { createClientLifecycle } from '../src/clients/client-lifecycle.ts';
import { prepareStaticClient } from '../src/clients/static-client.ts';
import type { GovernanceConfig } from '../src/config/governance-schema.ts';
import { createGovernanceAdmin } from '../src/governance/governance-admin.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import type { ClientRecord, Store } from '../src/store/store.ts';
import { createTestServer } from './support/test-server.ts';

const T = Date.UTC(2026, 10, 23, 12, 0, 0);
const ACTOR = 'cli:operator';
const CIMD_A = 'https://app.example.com/oauth/client.json';
const CIMD_B = 'https://tools.sub.example.com/client.json';
const CIMD_OTHER = 'https://other.example.net/client.json';

function setup(options: { fileRules?: GovernanceConfig['rules']; mode?: GovernanceConfig['mode'] } = {}) {
  const store = createMemoryStore();
  let now = T;
  const clock = () => now;
  const audit: Audit = (event) => store.audit.append({ at: clock(), ...event });
  const lifecycle = createClientLifecycle({ store, clock, audit });
  let reloads = 0;
  const admin = createGovernanceAdmin({
    store,
    lifecycle,
    audit,
    clock,
    fileRules: options.fileRules ?? [],
    mode: options.mode ?? 'open',
    reload: async () => {
      reloads++;
    },
  });
  return {
    store,
    admin,
    advance: (ms: number) => {
      now += ms;
    },
    reloads: () => reloads,
    /** The governance changes published on the feed, oldest first. */
    changes: async () =>
      (await store.clientChanges.since(0, 100)).filter((change) => change.kind === 'governance'),
    events: async () => (await store.audit.list()).filter((event) => event.type.startsWith('governance.')),
  };
}

function cimdClient(clientId: string, extra: Partial<ClientRecord['metadata']> = {}): ClientRecord {
  return {
    clientId,
    kind: 'cimd',
    metadata: {
      client_id: clientId,
      redirect_uris: ['https://app.example.com/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...extra,
    },
    createdAt: T,
    updatedAt: T,
  };
}

/** A live grant and token family of `clientId`, as a redemption leaves them. */
async function grantFor(store: Store, clientId: string, userId = 'user-1') {
  const grant = await store.grants.upsert({
    id: `grant-${clientId}-${userId}`,
    userId,
    clientId,
    redirectUri: 'https://app.example.com/callback',
    scope: ['mcp:tools'],
    resources: ['https://mcp.example.com'],
    now: T,
  });
  await store.tokenFamilies.create({
    id: `family-${clientId}-${userId}`,
    grantId: grant.id,
    clientId,
    userId,
    scope: ['mcp:tools'],
    resources: ['https://mcp.example.com'],
    authTime: T,
    createdAt: T,
    expiresAt: T + 86_400_000,
  });
}

async function live(store: Store, clientId: string) {
  const grants = (await store.grants.listByClient(clientId)).filter((grant) => grant.revokedAt === undefined);
  const families = await store.tokenFamilies.listByClient(clientId);
  return {
    grants: grants.length,
    families: families.filter((family) => family.revokedAt === undefined).length,
    familyReasons: families.map((family) => family.revokedReason),
  };
}

function refusedWith(reason: string) {
  return (error: unknown) => {
    assert.ok(isOAuthError(error), `an OAuthError, not ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  };
}

describe('governance admin: approve', () => {
  it('stores the rule in one spelling, publishes it, reloads here and audits actor, before and after', async () => {
    const t = setup();
    const change = await t.admin.approve(`id:${CIMD_A}`, {
      actor: ACTOR,
      tier: 'trusted',
      owner: 'team-a',
      note: 'reviewed',
    });
    assert.equal(change.selector, CIMD_A);
    assert.equal(change.changed, true);
    assert.equal(change.before, undefined);
    assert.deepEqual(change.after, {
      selector: CIMD_A,
      state: 'approved',
      tier: 'trusted',
      owner: 'team-a',
      note: 'reviewed',
      updatedBy: ACTOR,
      createdAt: T,
      updatedAt: T,
    });
    assert.deepEqual(await t.store.governance.listRules(), [change.after]);
    assert.deepEqual(
      (await t.changes()).map(({ clientId, kind }) => [clientId, kind]),
      [[CIMD_A, 'governance']],
    );
    assert.equal(t.reloads(), 1);
    const [event, ...more] = await t.events();
    assert.equal(more.length, 0);
    assert.equal(event!.type, 'governance.client_approved');
    assert.equal(event!.actor, ACTOR);
    assert.equal(event!.clientId, CIMD_A);
    assert.deepEqual(event!.detail, { selector: CIMD_A, before: null, after: change.after });
  });

  it('keeps the stored tier and owner when not given; a second identical approve changes nothing', async () => {
    const t = setup();
    await t.admin.approve('domain:Example.com', { actor: ACTOR, tier: 'verified-domain', owner: 'web' });
    t.advance(1000);
    const again = await t.admin.approve('domain:example.com', { actor: 'console:bob' });
    assert.equal(again.before?.updatedBy, ACTOR);
    assert.equal(again.changed, false);
    assert.equal(again.after, again.before, 'nothing rewritten');
    assert.equal((await t.changes()).length, 1, 'nothing published');
    assert.equal((await t.events()).length, 1, 'nothing audited');

    const noted = await t.admin.approve('domain:example.com', { actor: 'console:bob', note: 'vendor' });
    assert.deepEqual(
      [noted.after?.tier, noted.after?.owner, noted.after?.note, noted.after?.updatedBy],
      ['verified-domain', 'web', 'vendor', 'console:bob'],
    );
    assert.equal(noted.after?.createdAt, T);
    assert.equal(noted.after?.updatedAt, T + 1000);
    const [latest] = await t.events();
    assert.deepEqual(latest!.detail?.before, again.before);
    assert.equal(latest!.clientId, undefined, 'a domain: rule names no one client');
  });

  it('releases the exact client’s hold and clears its access requests', async () => {
    const t = setup({ mode: 'approval' });
    await t.store.governance.hold({ clientId: CIMD_A, reason: 'redirect_uris changed', at: T });
    await t.store.governance.recordAccessRequest({ clientId: CIMD_A, userId: 'user-1', at: T });
    await t.store.governance.recordAccessRequest({ clientId: CIMD_OTHER, userId: 'user-1', at: T });
    await t.admin.approve(CIMD_A, { actor: ACTOR });
    const pending = await t.admin.pending();
    assert.deepEqual(pending.holds, []);
    assert.deepEqual(
      pending.requests.map((request) => request.clientId),
      [CIMD_OTHER],
    );
    const [event] = await t.events();
    assert.equal(event!.detail?.hold_released, true);
    assert.equal(event!.detail?.access_requests_cleared, 1);
  });

  it('refuses a selector that cannot match anything (invalid_selector) and a bad tier (invalid_rule)', async () => {
    const t = setup();
    await assert.rejects(t.admin.approve('host:', { actor: ACTOR }), refusedWith('invalid_selector'));
    await assert.rejects(
      t.admin.approve('https://*.example.com/client.json', { actor: ACTOR }),
      refusedWith('invalid_selector'),
    );
    await assert.rejects(
      // @ts-expect-error: what an untyped caller (the admin API's JSON) may send
      t.admin.approve(CIMD_A, { actor: ACTOR, tier: 'gold' }),
      refusedWith('invalid_rule'),
    );
    await assert.rejects(
      t.admin.approve(CIMD_A, { actor: ACTOR, note: 'two\nlines' }),
      refusedWith('invalid_rule'),
    );
    await assert.rejects(t.admin.block(CIMD_A, { actor: ACTOR, reason: '' }), refusedWith('invalid_rule'));
    assert.deepEqual(await t.store.governance.listRules(), []);
    assert.deepEqual(await t.events(), []);
  });
});

describe('governance admin: block', () => {
  it('an exact client_id: stores the block, revokes its grants through the lifecycle, audits both', async () => {
    const t = setup();
    await t.store.clients.put(cimdClient(CIMD_A));
    await grantFor(t.store, CIMD_A);
    await grantFor(t.store, CIMD_A, 'user-2');
    await grantFor(t.store, CIMD_OTHER);
    await t.store.governance.recordAccessRequest({ clientId: CIMD_A, userId: 'user-3', at: T });

    const result = await t.admin.block(CIMD_A, { actor: ACTOR, reason: 'phishing' });
    assert.equal(result.after?.state, 'blocked');
    assert.equal(result.after?.note, 'phishing');
    assert.deepEqual(
      result.revoked.map(({ clientId, result }) => [clientId, result.grantsRevoked, result.familiesRevoked]),
      [[CIMD_A, 2, 2]],
    );
    const after = await live(t.store, CIMD_A);
    assert.deepEqual([after.grants, after.families], [0, 0]);
    assert.deepEqual(after.familyReasons, ['client_blocked', 'client_blocked']);
    assert.equal((await live(t.store, CIMD_OTHER)).grants, 1, 'another client keeps its grant');
    assert.deepEqual(await t.store.governance.listAccessRequests(), []);

    const [revokedEvent] = await t.store.audit.list({ type: 'client.revoked' });
    assert.equal(revokedEvent!.reason, 'client_blocked');
    assert.equal(revokedEvent!.actor, ACTOR);
    assert.equal(revokedEvent!.clientId, CIMD_A);
    const [event, ...more] = await t.events();
    assert.equal(more.length, 0);
    assert.equal(event!.type, 'governance.client_blocked');
    assert.equal(event!.actor, ACTOR);
    assert.deepEqual(event!.detail, {
      selector: CIMD_A,
      before: null,
      after: result.after,
      clients_selected: 1,
      grants_revoked: 2,
      families_revoked: 2,
      access_requests_cleared: 1,
    });
    assert.deepEqual(
      (await t.changes()).map((change) => change.clientId),
      [CIMD_A],
    );

    // Blocking again: nothing stored, revoked, published or audited.
    const again = await t.admin.block(CIMD_A, { actor: ACTOR, reason: 'phishing' });
    assert.equal(again.changed, false);
    assert.deepEqual(again.revoked[0]?.result.grantsRevoked, 0);
    assert.equal((await t.events()).length, 1);
    assert.equal((await t.changes()).length, 1);
  });

  it('a domain: rule revokes every stored client on that domain and its subdomains, and no other', async () => {
    const t = setup();
    for (const id of [CIMD_A, CIMD_B, CIMD_OTHER]) {
      await t.store.clients.put(cimdClient(id));
      await grantFor(t.store, id);
    }
    // Static and dynamic clients have no client_id host: a domain: rule never selects them.
    await t.store.clients.put(
      prepareStaticClient(
        {
          client_id: 'static-app',
          redirect_uris: ['https://app.example.com/cb'],
          token_endpoint_auth_method: 'none',
        },
        T,
      ).record,
    );
    await grantFor(t.store, 'static-app');

    const result = await t.admin.block('domain:example.com', { actor: ACTOR });
    assert.deepEqual(result.revoked.map(({ clientId }) => clientId).sort(), [CIMD_A, CIMD_B].sort());
    assert.equal((await live(t.store, CIMD_A)).grants, 0);
    assert.equal((await live(t.store, CIMD_B)).grants, 0);
    assert.equal((await live(t.store, CIMD_OTHER)).grants, 1);
    assert.equal((await live(t.store, 'static-app')).grants, 1);
    assert.equal((await t.store.audit.list({ type: 'client.revoked' })).length, 2);
    const [event] = await t.events();
    assert.equal(event!.clientId, undefined);
    assert.equal(event!.detail?.clients_selected, 2);
    assert.equal(event!.detail?.grants_revoked, 2);
  });

  it('reads every stored client, page after page', async () => {
    const t = setup();
    for (let index = 0; index < 1203; index++) {
      await t.store.clients.put(
        cimdClient(`https://c${String(index).padStart(4, '0')}.example.org/client.json`),
      );
    }
    const result = await t.admin.block('domain:example.org', { actor: ACTOR });
    assert.equal(result.revoked.length, 1203);
  });

  it('keeps a tier the rule placed; unblock then keeps the tier and drops the block', async () => {
    const t = setup();
    await t.admin.setTier('host:app.example.com', { actor: ACTOR, tier: 'trusted' });
    const blocked = await t.admin.block('host:app.example.com', { actor: ACTOR, reason: 'incident 42' });
    assert.deepEqual([blocked.after?.state, blocked.after?.tier], ['blocked', 'trusted']);
    const unblocked = await t.admin.unblock('host:APP.example.com', { actor: 'console:bob' });
    assert.deepEqual(unblocked.before, blocked.after);
    assert.equal(unblocked.after?.state, undefined);
    assert.equal(unblocked.after?.note, undefined);
    assert.equal(unblocked.after?.tier, 'trusted');
    const [event] = await t.events();
    assert.equal(event!.type, 'governance.client_unblocked');
    assert.equal(event!.actor, 'console:bob');
    assert.deepEqual(event!.detail, {
      selector: 'host:app.example.com',
      before: blocked.after,
      after: unblocked.after,
    });
  });
});

describe('governance admin: unblock, setTier, deleteRule, release', () => {
  it('unblock deletes a stored block; without one it says so and writes nothing', async () => {
    const t = setup();
    await t.admin.block(CIMD_A, { actor: ACTOR });
    const change = await t.admin.unblock(CIMD_A, { actor: ACTOR });
    assert.equal(change.before?.state, 'blocked');
    assert.equal(change.after, undefined);
    assert.deepEqual(await t.store.governance.listRules(), []);
    assert.equal((await t.changes()).length, 2);

    const events = (await t.events()).length;
    await assert.rejects(t.admin.unblock(CIMD_A, { actor: ACTOR }), (error: unknown) => {
      assert.ok(isOAuthError(error));
      assert.equal(error.reason, 'rule_not_found');
      assert.equal(error.status, 404);
      assert.match(error.description ?? '', /no stored block for https:\/\/app\.example\.com/);
      return true;
    });
    await t.admin.approve(CIMD_A, { actor: ACTOR });
    await assert.rejects(t.admin.unblock(CIMD_A, { actor: ACTOR }), refusedWith('rule_not_found'));
    assert.equal((await t.events()).length, events + 1, 'only the approval audited');
  });

  it('unblock of a block from the configuration file is refused, saying where the block is', async () => {
    const t = setup({
      fileRules: [{ selector: 'domain:evil.example', state: 'blocked', note: 'known bad' }],
    });
    await assert.rejects(t.admin.unblock('domain:EVIL.example', { actor: ACTOR }), (error: unknown) => {
      assert.ok(isOAuthError(error));
      assert.equal(error.reason, 'rule_in_configuration_file');
      assert.equal(error.status, 409);
      assert.match(error.description ?? '', /domain:evil\.example comes from the configuration file/);
      return true;
    });
    await assert.rejects(
      t.admin.deleteRule('domain:evil.example', { actor: ACTOR }),
      refusedWith('rule_in_configuration_file'),
    );
    assert.deepEqual(await t.events(), []);
    assert.deepEqual(await t.changes(), []);
  });

  it('setTier keeps the state; the same tier again changes nothing', async () => {
    const t = setup();
    await t.admin.approve('software:acme-agent', { actor: ACTOR, owner: 'acme' });
    const change = await t.admin.setTier('software:acme-agent', {
      actor: 'admin-token:t1',
      tier: 'self-asserted',
    });
    assert.deepEqual(
      [change.after?.state, change.after?.tier, change.after?.owner],
      ['approved', 'self-asserted', 'acme'],
    );
    const [event] = await t.events();
    assert.equal(event!.type, 'governance.rule_changed');
    assert.equal(event!.actor, 'admin-token:t1');
    assert.equal((event!.detail!.before as { tier?: string }).tier, undefined);
    await t.admin.setTier('software:acme-agent', { actor: ACTOR, tier: 'self-asserted' });
    assert.equal((await t.events()).length, 2);
    assert.equal((await t.changes()).length, 2);
  });

  it('deleteRule removes a stored rule of any state; a missing one is rule_not_found', async () => {
    const t = setup();
    await t.admin.approve('kind:dcr', { actor: ACTOR });
    const change = await t.admin.deleteRule('kind:dcr', { actor: ACTOR });
    assert.equal(change.after, undefined);
    assert.equal(change.before?.state, 'approved');
    const [event] = await t.events();
    assert.equal(event!.type, 'governance.rule_deleted');
    assert.equal(event!.detail?.after, null);
    await assert.rejects(t.admin.deleteRule('kind:dcr', { actor: ACTOR }), refusedWith('rule_not_found'));
  });

  it('release ends a hold once, audited; releasing again is false and writes nothing', async () => {
    const t = setup();
    await t.store.governance.hold({ clientId: CIMD_A, reason: 'jwks_uri changed', at: T });
    assert.equal(await t.admin.release(CIMD_A, { actor: ACTOR }), true);
    assert.equal(await t.admin.release(CIMD_A, { actor: ACTOR }), false);
    const events = await t.events();
    assert.deepEqual(
      events.map((event) => [event.type, event.clientId, event.actor, event.detail]),
      [['governance.hold_released', CIMD_A, ACTOR, { hold_reason: 'jwks_uri changed', held_at: T }]],
    );
    assert.equal((await t.changes()).length, 1);
  });
});

describe('governance admin: rules, pending, decisionFor', () => {
  it('lists the file rules first (origin file), then the stored ones with owner and who wrote them', async () => {
    const t = setup({
      fileRules: [
        { selector: 'id:static-app', state: 'approved', tier: 'trusted', owner: 'platform' },
        { selector: 'kind:dcr', state: 'pending' },
      ],
    });
    await t.admin.block('domain:example.net', { actor: ACTOR, reason: 'spam' });
    assert.deepEqual(await t.admin.rules(), [
      { selector: 'static-app', state: 'approved', tier: 'trusted', origin: 'file', owner: 'platform' },
      { selector: 'kind:dcr', state: 'pending', origin: 'file' },
      {
        selector: 'domain:example.net',
        state: 'blocked',
        origin: 'stored',
        note: 'spam',
        updatedBy: ACTOR,
        updatedAt: T,
      },
    ]);
  });

  it('decides for a stored client on its record, for a document client not stored on its client_id', async () => {
    const t = setup({ mode: 'approval' });
    await t.store.clients.put(cimdClient(CIMD_A, { software_id: 'acme-agent' }));
    assert.equal((await t.admin.decisionFor(CIMD_A))?.state, 'pending');
    await t.admin.approve('software:acme-agent', { actor: ACTOR });
    const approved = await t.admin.decisionFor(CIMD_A);
    assert.equal(approved?.state, 'approved');
    assert.equal(approved?.stateRule?.selector, 'software:acme-agent');

    await t.admin.block('domain:example.net', { actor: ACTOR });
    const refused = await t.admin.decisionFor(CIMD_OTHER);
    assert.equal(refused?.state, 'blocked');
    assert.equal(refused?.refusal, 'client_blocked');
    assert.equal(await t.admin.decisionFor('never-heard-of'), undefined);
  });
});

describe('server.governance', () => {
  it('a block applies on this instance at once: the client is refused and its refresh token too', async () => {
    const t = await createTestServer();
    const tokens = await t.tokensFor();
    assert.ok(tokens.refresh_token);
    const result = await t.server.governance.block('public-app', { actor: 'console:alice' });
    assert.equal(result.revoked[0]?.result.familiesRevoked, 1);
    const refresh = await t.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: 'public-app',
    });
    assert.ok(refresh.status >= 400);
    const authorize = await t.send(t.authorizationUrl());
    assert.ok(authorize.status >= 400, `refused, not ${authorize.status}`);
    assert.equal(t.lastOutcome()?.reason, 'client_blocked');

    await t.server.governance.unblock('public-app', { actor: 'console:alice' });
    assert.equal((await t.send(t.authorizationUrl())).status, 303, 'admitted again at once');
    await t.server.stop();
  });
});
