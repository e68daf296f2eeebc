/**
 * Background revalidation of Client ID Metadata Documents (issue #14, item 5): the document of a
 * client used lately is revalidated before it expires, so its users never wait on a fetch; an
 * unused client's is left alone; a second instance finds the stored version fresh and fetches
 * nothing; a blocked client is not fetched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { revalidationDueAt } from '../src/cimd/background-revalidation.ts';
import { type AuthorizationServer, createAuthorizationServer } from '../src/index.ts';
import { contextOf } from './support/server-internals.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { createTestServer, ISSUER, RESOURCE } from './support/test-server.ts';

const MIN = 60_000;
const UNUSED_URL = 'https://unused.example.test/client.json';

async function setup() {
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument());
  documents.publish(UNUSED_URL, { ...cimdDocument(), client_id: UNUSED_URL });
  const t = await createTestServer({ outboundFetch: documents.fetch });
  // Used: it obtained tokens. Unused: resolved (known, its document cached), never a token.
  await t.tokensFor({ client_id: CIMD_URL });
  await contextOf(t.server).clients.resolve(UNUSED_URL);
  assert.equal(documents.fetches(CIMD_URL), 1);
  assert.equal(documents.fetches(UNUSED_URL), 1);
  return { t, documents };
}

describe('background revalidation of used documents', () => {
  it('is due once a fifth to three tenths of the lifetime is left, never less than two passes', () => {
    assert.equal(revalidationDueAt(0, 100 * MIN, MIN, 0), 80 * MIN);
    assert.equal(revalidationDueAt(0, 100 * MIN, MIN, 0.5), 75 * MIN);
    assert.equal(revalidationDueAt(0, 5 * MIN, MIN, 0.5), 3 * MIN, 'the five-minute floor: two passes ahead');
  });

  it('revalidates a used client before expiry, so the next request needs no fetch; leaves an unused one', async () => {
    const { t, documents } = await setup();
    t.advance(2 * MIN);
    assert.equal((await t.server.revalidateDocuments()).due, 0, 'not due yet');
    t.advance(2 * MIN); // 4 of the 5 minutes the stub's document is fresh
    const pass = await t.server.revalidateDocuments();
    assert.deepEqual(pass, { considered: 1, due: 1, revalidated: 1, failed: 0, deferred: 0 });
    assert.equal(documents.fetches(CIMD_URL), 2);
    assert.equal(documents.fetches(UNUSED_URL), 1, 'not used: not revalidated');

    // Past the first version's expiry: the used client is answered without a fetch.
    t.advance(2 * MIN);
    assert.ok((await t.authorize({ client_id: CIMD_URL })).searchParams.get('code'));
    assert.equal(documents.fetches(CIMD_URL), 2);
    await contextOf(t.server).clients.resolve(UNUSED_URL);
    assert.equal(documents.fetches(UNUSED_URL), 2, 'the unused one waits on its fetch, as before');

    assert.match(
      await t.server.metrics.metrics(),
      /gatehouse_cimd_background_revalidations_total\{outcome="revalidated"\} 1/,
    );
  });

  it('a second instance on the store finds the version fresh and fetches nothing', async () => {
    const { t, documents } = await setup();
    const other: AuthorizationServer = createAuthorizationServer({
      issuer: ISSUER,
      store: t.store,
      clock: t.now,
      outboundFetch: documents.fetch,
      resources: [{ uri: RESOURCE, scopes: ['mcp:tools'] }],
    });
    try {
      t.advance(4 * MIN);
      assert.equal((await t.server.revalidateDocuments()).revalidated, 1);
      const second = await other.revalidateDocuments();
      assert.deepEqual(second, { considered: 1, due: 0, revalidated: 0, failed: 0, deferred: 0 });
      assert.equal(documents.fetches(CIMD_URL), 2);
    } finally {
      await other.stop();
    }
  });

  it('does not fetch a blocked client, and is off with revalidateUsedWithinDays 0', async () => {
    const { t, documents } = await setup();
    await t.server.governance.block(CIMD_URL, { actor: 'cli:operator' });
    t.advance(4 * MIN);
    assert.deepEqual(await t.server.revalidateDocuments(), {
      considered: 1,
      due: 1,
      revalidated: 0,
      failed: 0,
      deferred: 1,
    });
    assert.equal(documents.fetches(CIMD_URL), 1);

    const off = await createTestServer({
      outboundFetch: documents.fetch,
      cimd: { revalidateUsedWithinDays: 0 },
    });
    await off.tokensFor({ client_id: CIMD_URL });
    off.advance(4 * MIN);
    assert.equal((await off.server.revalidateDocuments()).considered, 0);
  });
});
