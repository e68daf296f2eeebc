/**
 * Stale-if-error through the server (issue #14, item 5; decision 0035): the origin of a CIMD client
 * goes down after a successful fetch; authorization and token requests keep working on the last
 * good document within `cimd.staleIfErrorSeconds` past its expiry, audited once and flagged in the
 * store for the inventory, and stop after it. A document the origin refuses is never served stale.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SafeFetch, SafeFetchError } from '@gatehouse-oauth/safe-fetch';
import { assertRefusal } from './support/refusal.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { createTestServer } from './support/test-server.ts';

const HOUR = 60 * 60_000;
/** The stub sends no caching headers: fresh for the minimum TTL (5 min), then a 60 s stale window. */
const PAST_EXPIRY = 5 * 60_000 + 60_000;

async function setup(cimd: Record<string, unknown> = {}) {
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument());
  const origin = { failure: undefined as ((url: string) => Error) | undefined };
  const outboundFetch: SafeFetch = async (url, init) => {
    if (origin.failure !== undefined) throw origin.failure(String(url));
    return documents.fetch(url, init);
  };
  const t = await createTestServer({ outboundFetch, cimd: { staleIfErrorSeconds: 3600, ...cimd } });
  const tokens = await t.tokensFor({ client_id: CIMD_URL });
  assert.ok(tokens.refresh_token, 'the flow worked while the origin was up');
  let refreshToken = tokens.refresh_token;
  /** Rotates the refresh token; the response. */
  const refresh = async () => {
    const response = await t.token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: CIMD_URL,
    });
    if (response.status === 200)
      refreshToken = ((await response.clone().json()) as { refresh_token: string }).refresh_token;
    return response;
  };
  return { t, origin, refresh };
}

const down = (url: string) => new SafeFetchError('connect_failed', 'connection refused', { url });

describe('stale-if-error through the server (decision 0035)', () => {
  it('flows keep working within the grace while the origin is down, and stop after it', async () => {
    const { t, origin, refresh } = await setup();
    origin.failure = down;
    t.advance(PAST_EXPIRY);

    // An authorization and a refresh, each answered from the last good document.
    assert.ok((await t.authorize({ client_id: CIMD_URL })).searchParams.get('code'));
    assert.equal((await refresh()).status, 200);
    const stale = await t.store.documentFreshness.get(CIMD_URL);
    assert.equal(stale?.stale?.reason, 'connect_failed');
    assert.equal(stale?.stale?.until, t.now() - PAST_EXPIRY + 5 * 60_000 + HOUR);

    // Audited once for the episode, whatever the number of requests served; counted per request.
    t.advance(HOUR - PAST_EXPIRY);
    assert.equal((await refresh()).status, 200, 'the last minute of the grace');
    const audited = await t.store.audit.list({ type: 'client.document_stale', clientId: CIMD_URL });
    assert.equal(audited.length, 1);
    assert.equal(audited[0]?.reason, 'connect_failed');
    assert.equal(audited[0]?.actor, 'system:document-cache');
    const metrics = await t.server.metrics.metrics();
    assert.match(metrics, /gatehouse_cimd_cache_events_total\{event="stale_if_error"\} [3-9]/);
    assert.match(metrics, /gatehouse_audit_events_total\{type="client.document_stale"\} 1/);

    // After the grace the client fails as it always did without a document.
    t.advance(5 * 60_000 + 60_000);
    await assertRefusal(t, await refresh(), {
      status: 401,
      error: 'invalid_client',
      reason: 'cimd_connect_failed',
    });
    const page = await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
    await assertRefusal(t, page, { status: 400, error: 'invalid_client', reason: 'cimd_connect_failed' });
  });

  it('the origin back within the grace ends the episode: the mark is cleared and the next outage is audited again', async () => {
    const { t, origin, refresh } = await setup();
    origin.failure = down;
    t.advance(PAST_EXPIRY);
    assert.equal((await refresh()).status, 200);
    assert.ok((await t.store.documentFreshness.get(CIMD_URL))?.stale);

    origin.failure = undefined;
    t.advance(30_000); // the next retry is due
    assert.equal((await refresh()).status, 200);
    await new Promise((resolve) => setImmediate(resolve)); // the retry ran in the background
    assert.equal((await refresh()).status, 200);
    assert.equal((await t.store.documentFreshness.get(CIMD_URL))?.stale, undefined);

    origin.failure = (url) => new SafeFetchError('status_not_200', 'HTTP 503', { url, status: 503 });
    t.advance(PAST_EXPIRY);
    assert.equal((await refresh()).status, 200);
    const audited = await t.store.audit.list({ type: 'client.document_stale', clientId: CIMD_URL });
    assert.deepEqual(
      audited.map((event) => event.reason),
      ['status_not_200', 'connect_failed'],
    );
  });

  it('a document the origin refuses (404) is not served stale: the client fails at once', async () => {
    const { t, origin, refresh } = await setup();
    origin.failure = (url) => new SafeFetchError('status_not_200', 'HTTP 404', { url, status: 404 });
    t.advance(PAST_EXPIRY);
    await assertRefusal(t, await refresh(), {
      status: 401,
      error: 'invalid_client',
      reason: 'cimd_status_not_200',
    });
    assert.equal((await t.store.documentFreshness.get(CIMD_URL))?.stale, undefined);
  });

  it('with cimd.staleIfErrorSeconds 0 a failing origin fails the client as before', async () => {
    const { t, origin, refresh } = await setup({ staleIfErrorSeconds: 0 });
    origin.failure = down;
    t.advance(PAST_EXPIRY);
    await assertRefusal(t, await refresh(), {
      status: 401,
      error: 'invalid_client',
      reason: 'cimd_connect_failed',
    });
  });
});
