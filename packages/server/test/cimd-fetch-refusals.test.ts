/**
 * A Client ID Metadata Document that cannot be fetched or cached is refused as `invalid_client` with
 * `cimd_<reason>` (docs/errors.md, "Fetch failures"): the fetcher's reason (decision 0004), the
 * document cache's, or the fetch governor's (decision 0007). Each row below fails the fetch one way
 * and checks the authorization endpoint answers its error page for exactly that reason. The real
 * fetcher produces these reasons in packages/safe-fetch/test; here a stand-in throws them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type SafeFetch,
  SafeFetchError,
  type SafeFetchReason,
  type SafeResponse,
} from '@gatehouse-oauth/safe-fetch';
import { assertRefusal } from './support/refusal.ts';
import { CIMD_URL, cimdDocument } from './support/stub-documents.ts';
import { createTestServer } from './support/test-server.ts';

function jsonResponse(url: string, text: string, status: 200 | 304, headers: Record<string, string> = {}) {
  const response: SafeResponse = {
    status,
    url,
    headers: new Headers({ 'content-type': 'application/json', ...headers }),
    body: new TextEncoder().encode(text),
    remoteAddress: '192.0.2.10',
    text: () => text,
    json: () => JSON.parse(text),
  };
  return response;
}

/**
 * Authorizes with `clientId` and asserts the error page for `reason`; with `counted`, also that the
 * audit log recorded the refusal with the underlying reason as is.
 */
async function assertCimdRefusal(
  t: Awaited<ReturnType<typeof createTestServer>>,
  clientId: string,
  reason: string,
  counted?: string,
) {
  const response = await t.send(t.authorizationUrl({ client_id: clientId }));
  await assertRefusal(t, response, { status: 400, error: 'invalid_client', reason });
  if (counted !== undefined) {
    const audited = await t.store.audit.list({ type: 'cimd.refused' });
    assert.equal(audited.at(-1)?.reason, counted, 'audited with the reason as is');
  }
}

describe('CIMD fetch failures are refused as cimd_<fetcher reason>', () => {
  // Every SafeFetchReason (decision 0004), each answered as its own cimd_ reason.
  const cases: { fetcher: SafeFetchReason; reason: string }[] = [
    { fetcher: 'invalid_url', reason: 'cimd_invalid_url' },
    { fetcher: 'scheme_not_https', reason: 'cimd_scheme_not_https' },
    { fetcher: 'userinfo', reason: 'cimd_userinfo' },
    { fetcher: 'special_purpose_address', reason: 'cimd_special_purpose_address' },
    { fetcher: 'dns_failure', reason: 'cimd_dns_failure' },
    { fetcher: 'connect_failed', reason: 'cimd_connect_failed' },
    { fetcher: 'tls', reason: 'cimd_tls' },
    { fetcher: 'deadline_exceeded', reason: 'cimd_deadline_exceeded' },
    { fetcher: 'aborted', reason: 'cimd_aborted' },
    { fetcher: 'redirect_refused', reason: 'cimd_redirect_refused' },
    { fetcher: 'status_not_200', reason: 'cimd_status_not_200' },
    { fetcher: 'content_type', reason: 'cimd_content_type' },
    { fetcher: 'content_encoding', reason: 'cimd_content_encoding' },
    { fetcher: 'body_too_large', reason: 'cimd_body_too_large' },
    { fetcher: 'network_error', reason: 'cimd_network_error' },
  ];
  for (const { fetcher, reason } of cases) {
    it(`${fetcher} → invalid_client ${reason}`, async () => {
      const fetch: SafeFetch = async (url) => {
        throw new SafeFetchError(fetcher, `stand-in: ${fetcher}`, { url: String(url) });
      };
      const t = await createTestServer({ outboundFetch: fetch });
      await assertCimdRefusal(t, CIMD_URL, reason, fetcher);
    });
  }

  it('a failure without a reason of its own → cimd_fetch_failed', async () => {
    const fetch: SafeFetch = async () => {
      throw new Error('something unforeseen');
    };
    const t = await createTestServer({ outboundFetch: fetch });
    await assertCimdRefusal(t, CIMD_URL, 'cimd_fetch_failed', 'fetch_failed');
  });
});

describe('CIMD document cache failures are refused as cimd_<cache reason>', () => {
  it('a 200 body that is not JSON → cimd_invalid_json', async () => {
    const fetch: SafeFetch = async (url) => jsonResponse(String(url), '{not json', 200);
    const t = await createTestServer({ outboundFetch: fetch });
    await assertCimdRefusal(t, CIMD_URL, 'cimd_invalid_json', 'invalid_json');
  });

  it('a 304 to a request without validators → cimd_unexpected_not_modified', async () => {
    const fetch: SafeFetch = async (url) => jsonResponse(String(url), '', 304);
    const t = await createTestServer({ outboundFetch: fetch });
    await assertCimdRefusal(t, CIMD_URL, 'cimd_unexpected_not_modified', 'unexpected_not_modified');
  });

  it('a 304 naming another validator than the stored one → cimd_revalidation_mismatch (RFC 9111 §4.3.4)', async () => {
    let fetches = 0;
    const fetch: SafeFetch = async (url) => {
      fetches++;
      return fetches === 1
        ? jsonResponse(String(url), JSON.stringify(cimdDocument()), 200, { etag: '"one"' })
        : jsonResponse(String(url), '', 304, { etag: '"two"' });
    };
    const t = await createTestServer({ outboundFetch: fetch });
    assert.equal((await t.send(t.authorizationUrl({ client_id: CIMD_URL }))).status, 303, 'first use works');
    t.advance(24 * 3600 * 1000 + 1000); // past the longest freshness: the next use revalidates
    await assertCimdRefusal(t, CIMD_URL, 'cimd_revalidation_mismatch', 'revalidation_mismatch');
    assert.equal(fetches, 2);
  });
});

describe('CIMD fetch governor refusals are refused as cimd_<governor reason> (decision 0007)', () => {
  const onHost = (host: string, n: number) => `https://${host}.example.test/clients/${n}.json`;

  it('the global rate spent → cimd_global_rate', async () => {
    const fetch: SafeFetch = async (url) =>
      jsonResponse(String(url), JSON.stringify(cimdDocument({ client_id: String(url) })), 200);
    const t = await createTestServer({ outboundFetch: fetch, cimd: { fetchesPerSecond: 1 } });
    assert.equal((await t.send(t.authorizationUrl({ client_id: onHost('a', 1) }))).status, 303);
    await assertCimdRefusal(t, onHost('b', 1), 'cimd_global_rate');
  });

  it('slots and queues full → cimd_host_concurrency, cimd_global_concurrency, cimd_queue_full', async () => {
    // Fetches hang until released, so slots stay taken. The governor's defaults: 2 slots per host,
    // 16 in all, a wait queue of 64 of which 4 per host.
    const release = Promise.withResolvers<void>();
    let started = 0;
    const fetch: SafeFetch = async (url) => {
      started++;
      await release.promise;
      throw new SafeFetchError('status_not_200', 'released', { url: String(url), status: 404 });
    };
    const t = await createTestServer({
      outboundFetch: fetch,
      cimd: {
        ...{ fetchesPerSecond: 10_000, fetchesPerSecondPerHost: 1000 }, // the schema's maxima: rates never refuse here
        // Admission control (decision 0045) lets fewer unknown ids through at once than the governor
        // has slots; opened wide here, so that the governor's own limits are what refuses.
        ...{ unknownConcurrency: 10_000, unknownConcurrencyWhenBusy: 10_000, unknownPendingPerHost: 1000 },
      },
    });
    // Each request reaches the governor after a few awaits; give them the turns they need (bounded).
    const settle = async (done: () => boolean = () => false) => {
      for (let turn = 0; turn < 50 && !done(); turn++)
        await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const pending: Promise<Response>[] = [];
    const authorize = (clientId: string) => pending.push(t.send(t.authorizationUrl({ client_id: clientId })));
    // h0 takes its 2 slots and waits for none; h1…h7 take 2 slots, 4 queue places, and a 7th each
    // is refused: its host's share of the queue is full.
    for (let n = 0; n < 2; n++) authorize(onHost('h0', n));
    for (let host = 1; host < 8; host++) for (let n = 0; n < 7; n++) authorize(onHost(`h${host}`, n));
    await settle(() => started === 16);
    assert.equal(started, 16, 'every slot is taken');
    const hostRefusals = t.outcomes().filter((outcome) => outcome.reason === 'cimd_host_concurrency');
    assert.equal(hostRefusals.length, 7, 'one refusal for each of h1…h7');
    assert.ok(hostRefusals.every((outcome) => outcome.error === 'invalid_client'));
    // 36 more hosts with one waiter each fill the queue: 28 + 36 = 64.
    for (let host = 0; host < 36; host++) authorize(onHost(`q${host}`, 0));
    await settle();
    assert.equal(t.outcomes().length, 7, 'all 36 are waiting, none refused');
    // A host without a slot, all slots taken and the queue full.
    await assertCimdRefusal(t, onHost('fresh', 0), 'cimd_global_concurrency');
    // h0 is busy and has its whole share of the queue, but the queue is full of other hosts' waiters.
    await assertCimdRefusal(t, onHost('h0', 2), 'cimd_queue_full');
    release.resolve();
    const answered = await Promise.all(pending);
    assert.equal(answered.length, 2 + 7 * 7 + 36);
    for (const response of answered) assert.equal(response.status, 400);
  });
});
