/**
 * The operator's freshness operations (issue #14, item 5): `refresh` re-fetches a client's metadata
 * document now through the server's own path and every instance on the store uses the new version;
 * `evict` drops it on every instance so its next use fetches it anew. Audited with the actor, and
 * served by the admin API (POST /admin/v1/clients/{client_id}/refresh and /evict).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SafeFetch, SafeFetchError } from '@gatehouse-oauth/safe-fetch';
import { ADMIN_OPERATIONS } from '../src/admin/admin-openapi.ts';
import { type AuthorizationServer, createAuthorizationServer } from '../src/index.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { assertRefusal } from './support/refusal.ts';
import { contextOf } from './support/server-internals.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { createTestServer, ISSUER, RESOURCE } from './support/test-server.ts';

const ACTOR = { actor: 'cli:operator' };
const OTHER_URL = 'https://other.example.test/client.json';

/** Two instances on one store, each with its own memory, reading the change feed every 100 ms. */
function twoInstances() {
  const now = Date.UTC(2026, 10, 23, 12, 0, 0);
  const store = createMemoryStore();
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument({ client_name: 'Before' }));
  const origin = { down: false };
  const outboundFetch: SafeFetch = async (url, init) => {
    if (origin.down) throw new SafeFetchError('connect_failed', 'refused', { url: String(url) });
    return documents.fetch(url, init);
  };
  const [a, b] = [0, 1].map(() =>
    createAuthorizationServer({
      issuer: ISSUER,
      store,
      clock: () => now,
      outboundFetch,
      clientChangePollMs: 100,
      resources: [{ uri: RESOURCE, scopes: ['mcp:tools'] }],
    }),
  ) as [AuthorizationServer, AuthorizationServer];
  /** The client name the instance resolves now. */
  const nameOn = async (server: AuthorizationServer) =>
    (await contextOf(server).clients.resolve(CIMD_URL))?.metadata.client_name;
  return { store, documents, origin, a, b, nameOn };
}

/** Retries `check` until it passes, for at most 2 s (the feed is read every 100 ms here). */
async function eventually(check: () => Promise<void>): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() - started > 2000) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('refresh', () => {
  it('re-fetches now, and the other instance on the store uses the new version without a fetch of its own', async () => {
    const { store, documents, a, b, nameOn } = twoInstances();
    try {
      assert.equal(await nameOn(a), 'Before');
      assert.equal(await nameOn(b), 'Before');
      assert.equal(documents.fetches(CIMD_URL), 1, 'B took the version A recorded');

      documents.publish(CIMD_URL, cimdDocument({ client_name: 'After' }));
      const result = await a.documents.refresh(CIMD_URL, ACTOR);
      assert.equal(result.outcome, 'changed');
      assert.equal(result.digest, (await store.clientDocuments.latest(CIMD_URL))?.digest);
      assert.equal(result.previousDigest, (await store.clientDocuments.history(CIMD_URL))[1]?.digest);
      assert.equal(documents.fetches(CIMD_URL), 2);
      assert.equal(await nameOn(a), 'After');
      await eventually(async () => assert.equal(await nameOn(b), 'After'));
      assert.equal(documents.fetches(CIMD_URL), 2, 'B fetched nothing: it took the recorded version');

      const [audited] = await store.audit.list({ type: 'client.document_refreshed' });
      assert.equal(audited?.actor, 'cli:operator');
      assert.equal(audited?.reason, 'changed');
      assert.equal(
        (await store.audit.list({ type: 'client.document_changed' })).length,
        1,
        'the change policy ran',
      );
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('ignores the cooldown, says unchanged for the same version and discovered for a new client', async () => {
    const { documents, a, b, nameOn } = twoInstances();
    try {
      await nameOn(a);
      assert.equal((await a.documents.refresh(CIMD_URL, ACTOR)).outcome, 'unchanged');
      assert.equal((await a.documents.refresh(CIMD_URL, ACTOR)).outcome, 'unchanged');
      assert.equal(documents.fetches(CIMD_URL), 3, 'each refresh fetched, within the cooldown too');
      documents.publish(OTHER_URL, { ...cimdDocument(), client_id: OTHER_URL });
      const discovered = await a.documents.refresh(OTHER_URL, ACTOR);
      assert.equal(discovered.outcome, 'discovered');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('a failed fetch changes nothing; with the origin down the instance keeps the last good version', async () => {
    const { store, origin, a, b, nameOn } = twoInstances();
    try {
      const missing = await a.documents.refresh(OTHER_URL, ACTOR);
      assert.equal(missing.outcome, 'failed');
      assert.equal(missing.reason, 'cimd_status_not_200');
      assert.equal(await store.clients.get(OTHER_URL), undefined);

      await nameOn(a);
      origin.down = true;
      const down = await a.documents.refresh(CIMD_URL, ACTOR);
      assert.equal(down.outcome, 'failed');
      assert.equal(down.reason, 'cimd_connect_failed');
      assert.equal(down.staleUntil, (down.expiresAt ?? 0) + 24 * 60 * 60_000);
      assert.equal(await nameOn(a), 'Before', 'still served');
      const audited = await store.audit.list({ type: 'client.document_refreshed' });
      assert.deepEqual(
        audited.map((event) => event.reason),
        ['failed', 'failed'],
      );
      assert.equal(await store.clientChanges.latest(), 0, 'nothing published');
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('evict', () => {
  it('drops the document on every instance: the next use fetches it, and nothing else of the client goes', async () => {
    const { store, documents, a, b, nameOn } = twoInstances();
    try {
      await nameOn(a);
      await nameOn(b);
      assert.equal(documents.fetches(CIMD_URL), 1);
      const record = await store.clients.get(CIMD_URL);

      const evicted = await a.documents.evict(CIMD_URL, ACTOR);
      assert.equal(evicted.digest, (await store.clientDocuments.latest(CIMD_URL))?.digest);
      assert.equal(await nameOn(a), 'Before');
      assert.equal(documents.fetches(CIMD_URL), 2, 'A fetched anew instead of taking the stored version');
      await eventually(async () => {
        await nameOn(b);
        assert.equal(documents.fetches(CIMD_URL), 3, 'B dropped its copy too');
      });
      assert.deepEqual(await store.clients.get(CIMD_URL), record);
      assert.equal((await store.clientDocuments.history(CIMD_URL)).length, 1);
      const [audited] = await store.audit.list({ type: 'client.document_evicted' });
      assert.equal(audited?.actor, 'cli:operator');
      assert.equal(audited?.detail?.digest, evicted.digest);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('refusals', () => {
  it('only document clients, CIMD on, and never a blocked one', async () => {
    const t = await createTestServer();
    await assert.rejects(t.server.documents.refresh('public-app', ACTOR), {
      reason: 'not_a_document_client',
    });
    await assert.rejects(t.server.documents.evict('public-app', ACTOR), { reason: 'not_a_document_client' });
    await assert.rejects(t.server.documents.evict(CIMD_URL, ACTOR), {
      reason: 'client_not_found',
      status: 404,
    });
    await t.server.governance.block('host:client.example.test', ACTOR);
    await assert.rejects(t.server.documents.refresh(CIMD_URL, ACTOR), {
      reason: 'client_blocked',
      status: 409,
    });

    const off = await createTestServer({ cimd: { enabled: false } });
    await assert.rejects(off.server.documents.refresh(CIMD_URL, ACTOR), {
      reason: 'cimd_disabled',
      status: 409,
    });
  });
});

describe('admin API', () => {
  it('POST /admin/v1/clients/{client_id}/refresh and /evict, with a write token, audited as the token', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument());
    const t = await createTestServer({ outboundFetch: documents.fetch });
    const writer = await t.server.admin.tokens.issue({ scope: 'write', actor: 'test' });
    const reader = await t.server.admin.tokens.issue({ scope: 'read', actor: 'test' });
    const post = (path: string, token: string) =>
      t.send(`${ISSUER}/admin/v1/clients/${encodeURIComponent(CIMD_URL)}/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });

    const refreshed = await post('refresh', writer.token);
    assert.equal(refreshed.status, 200);
    const refresh = ADMIN_OPERATIONS.refreshDocument.answer.parse(await refreshed.json());
    assert.equal(refresh.outcome, 'discovered');
    assert.equal(refresh.client_id, CIMD_URL);
    assert.match(refresh.fetched_at ?? '', /^\d{4}-\d\d-\d\dT/);

    const evicted = await post('evict', writer.token);
    assert.equal(evicted.status, 200);
    const eviction = ADMIN_OPERATIONS.evictDocument.answer.parse(await evicted.json());
    assert.equal(eviction.digest, refresh.digest);
    const [audited] = await t.store.audit.list({ type: 'client.document_evicted' });
    assert.equal(audited?.actor, `admin-token:${writer.issued.id}`);

    await assertRefusal(t, await post('refresh', reader.token), {
      status: 403,
      error: 'insufficient_scope',
      reason: 'admin_token_scope',
    });
    const notDocument = await t.send(`${ISSUER}/admin/v1/clients/public-app/evict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer.token}` },
    });
    await assertRefusal(t, notDocument, {
      status: 400,
      error: 'invalid_request',
      reason: 'not_a_document_client',
    });
  });
});
