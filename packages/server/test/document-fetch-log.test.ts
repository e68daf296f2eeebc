/**
 * The fetch log (issue #14, items 2 and 3): every fetch the metadata document cache makes, recorded
 * with its outcome where that outcome becomes known (cimd/fetch-log-recorder.ts): accepted, a 304
 * that confirmed the version, a body refused (not JSON, a validation finding), a failure (a 404,
 * with the peer that answered it), the validators and the TLS certificate; refused and failed
 * fetches only for clients the server knows. In process, on the memory store, with a clock the
 * test moves and a stand-in origin (support/stub-origin.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedDocumentFetch } from '../src/store/store.ts';
import { CIMD_URL, cimdDocument } from './support/stub-documents.ts';
import { certificate, stubOrigin } from './support/stub-origin.ts';
import { createTestServer } from './support/test-server.ts';

/** Lets the recorder's writes (off the request's path) land: a bounded number of event-loop turns. */
async function settled(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function setup() {
  const origin = stubOrigin();
  const t = await createTestServer({ outboundFetch: origin.fetch });
  const tls = certificate('First CA', 'key-one', t.now());
  origin.set(CIMD_URL, { document: cimdDocument(), remoteAddress: '192.0.2.10', tls, etag: '"v1"' });
  /** One request that resolves the client (after `advance`, its document is fetched again). */
  const use = async (clientId = CIMD_URL) => {
    await t.send(t.authorizationUrl({ client_id: clientId }));
    await settled();
  };
  /** Past the cached copy's freshness and stale window: the next use fetches. */
  const expire = () => t.advance(361_000);
  const log = (clientId = CIMD_URL): Promise<RecordedDocumentFetch[]> =>
    t.store.documentFetches.list(clientId);
  return { t, origin, tls, use, expire, log };
}

describe('the fetch log', () => {
  it('records an accepted fetch with the version digest, validators, address and certificate', async () => {
    const { t, tls, use, log } = await setup();
    const before = t.now();
    await use();
    const [entry, ...more] = await log();
    assert.equal(more.length, 0);
    const version = await t.store.clientDocuments.latest(CIMD_URL);
    assert.deepEqual(
      { ...entry!, id: 0 },
      {
        id: 0,
        clientId: CIMD_URL,
        host: 'client.example.test',
        at: before,
        durationMs: 0,
        outcome: 'accepted',
        status: 200,
        digest: version!.digest,
        headers: { 'cache-control': 'max-age=300', 'content-type': 'application/json', etag: '"v1"' },
        remoteAddress: '192.0.2.10',
        tls,
      },
    );
    assert.equal(await t.store.documentFetches.hostFirstSeen('client.example.test'), before);
    assert.deepEqual(await t.store.documentFetches.latest(CIMD_URL), entry);
  });

  it('records a revalidation answered 304 as not_modified, and a new body as a new accepted version', async () => {
    const { t, origin, use, expire, log } = await setup();
    await use();
    expire();
    await use();
    assert.deepEqual(
      (await log()).map((entry) => [entry.outcome, entry.status]),
      [
        ['not_modified', 304],
        ['accepted', 200],
      ],
    );
    origin.update(CIMD_URL, { document: cimdDocument({ client_name: 'Renamed' }), etag: '"v2"' });
    expire();
    await use();
    const [newest] = await log();
    assert.equal(newest!.outcome, 'accepted');
    assert.equal(newest!.digest, (await t.store.clientDocuments.latest(CIMD_URL))!.digest);
    assert.equal((await t.store.clientDocuments.history(CIMD_URL)).length, 2);
  });

  it('records refused bodies with the reason and the body, and failures with the peer that answered', async () => {
    const { t, origin, tls, use, expire, log } = await setup();
    await use();
    origin.update(CIMD_URL, { raw: '{not json', etag: '"broken"' });
    expire();
    await use();
    const [notJson] = await log();
    assert.equal(notJson!.outcome, 'refused');
    assert.equal(notJson!.reason, 'invalid_json');
    assert.equal(notJson!.body, '{not json');
    assert.match(notJson!.digest!, /^[A-Za-z0-9_-]{43}$/);

    const { redirect_uris: _gone, ...withoutRedirects } = cimdDocument();
    origin.update(CIMD_URL, { raw: undefined, document: withoutRedirects, etag: '"invalid"' });
    expire();
    await use();
    const [invalid] = await log();
    assert.equal(invalid!.outcome, 'refused');
    assert.match(invalid!.reason!, /^cimd_/);
    assert.deepEqual(JSON.parse(invalid!.body!), withoutRedirects);

    origin.update(CIMD_URL, { fail: { reason: 'status_not_200', status: 404 } });
    expire();
    await use();
    const [gone] = await log();
    assert.deepEqual(
      { outcome: gone!.outcome, reason: gone!.reason, status: gone!.status, address: gone!.remoteAddress },
      { outcome: 'failed', reason: 'status_not_200', status: 404, address: '192.0.2.10' },
    );
    assert.deepEqual(gone!.tls, tls);
    assert.equal(gone!.body, undefined);
    assert.equal((await log()).length, 4);
    assert.equal(t.store.kind, 'memory');
  });

  it('writes nothing for a flood of client_ids the server does not know', async () => {
    const { origin, use, log } = await setup();
    const unknown = Array.from(
      { length: 20 },
      (_, index) => `https://flood${index}.example.test/client.json`,
    );
    for (const clientId of unknown) {
      origin.set(clientId, { fail: { reason: 'status_not_200', status: 404 }, remoteAddress: '192.0.2.66' });
      await use(clientId);
    }
    for (const clientId of unknown) assert.deepEqual(await log(clientId), []);
  });

  it('goes with the client when the client is removed', async () => {
    const { t, use, log } = await setup();
    await use();
    assert.equal((await log()).length, 1);
    await t.server.clients.remove(CIMD_URL, { actor: 'test', reason: 'operator' });
    assert.deepEqual(await log(), []);
    assert.ok(await t.store.documentFetches.hostFirstSeen('client.example.test'), 'the host stays met');
  });
});
