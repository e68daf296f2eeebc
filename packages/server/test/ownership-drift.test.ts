/**
 * Ownership drift through the server (issue #14, item 3; decision 0034): each signal of core's
 * detectOwnershipDrift, raised by what the origin behind a client_id shows over successive fetches,
 * audited as `client.drift_suspected` with what was seen, counted by signal, and answered by
 * `governance.changePolicy.drift`: `hold` (default) puts the client back to pending through the one
 * server hold (`client.held`, reason `client_ownership_drift`), `report` only audits and counts.
 * Innocent changes next to each: a certificate renewal, a key rotation under the same CA.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import type { AuthorizationServerOptions } from '../src/index.ts';
import { contextOf } from './support/server-internals.ts';
import { CIMD_URL, cimdDocument } from './support/stub-documents.ts';
import { certificate, stubOrigin } from './support/stub-origin.ts';
import { createTestServer } from './support/test-server.ts';

async function settled(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function publicKey(kid: string) {
  const { publicKey: key } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(key)), kid, alg: 'ES256' };
}

async function setup(
  overrides: Partial<AuthorizationServerOptions> = {},
  first: Record<string, unknown> = {},
) {
  const origin = stubOrigin();
  const t = await createTestServer({ outboundFetch: origin.fetch, ...overrides });
  const firstCa = certificate('First CA', 'key-one', t.now());
  origin.set(CIMD_URL, { document: cimdDocument(first), remoteAddress: '192.0.2.10', tls: firstCa });
  const use = async () => {
    await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
    await settled();
  };
  /** The origin now answers with `state`; the server's next use of the client fetches it. */
  const serve = async (state: Parameters<typeof origin.update>[1]) => {
    origin.update(CIMD_URL, state);
    t.advance(361_000);
    await use();
  };
  const state = async () => {
    const client = await t.store.clients.get(CIMD_URL);
    return (await contextOf(t.server).governance.current()).decide(client!).state;
  };
  const drifts = () => t.store.audit.list({ type: 'client.drift_suspected', clientId: CIMD_URL });
  const counted = async (signal: string) => {
    const metric = await t.server.metrics.getSingleMetricAsString('gatehouse_client_drift_suspected_total');
    return Number(new RegExp(`signal="${signal}"\\} (\\d+)`).exec(metric)?.[1] ?? 0);
  };
  await use();
  assert.equal(await state(), 'approved');
  return { t, origin, firstCa, use, serve, state, drifts, counted };
}

describe('ownership drift: certificate_and_keys', () => {
  it('a new CA and a new server key while the document replaces its keys holds the client', async () => {
    const [a, b] = [await publicKey('a'), await publicKey('b')];
    const { t, serve, state, drifts, counted } = await setup({}, { jwks: { keys: [a] } });
    const updatedBefore = (await t.store.clients.get(CIMD_URL))!.updatedAt;
    await serve({
      document: cimdDocument({ jwks: { keys: [b] } }),
      tls: certificate('Second CA', 'key-two', t.now()),
    });
    const [event, ...more] = await drifts();
    assert.equal(more.length, 0);
    assert.equal(event!.reason, 'certificate_and_keys');
    assert.equal(event!.actor, 'system:ownership-drift');
    const detail = event!.detail as {
      signals: string[];
      response: string;
      findings: Record<string, string>[];
    };
    assert.deepEqual(detail.signals, ['certificate_and_keys']);
    assert.equal(detail.response, 'hold');
    assert.equal(detail.findings[0]!.issuer_before, 'CN=First CA');
    assert.equal(detail.findings[0]!.issuer_after, 'CN=Second CA');
    assert.equal(await state(), 'pending');
    const [held] = await t.store.audit.list({ type: 'client.held', clientId: CIMD_URL });
    assert.equal(held!.reason, 'client_ownership_drift');
    assert.match(
      String(held!.detail!.hold_reason),
      /^the client's domain may have changed hands: the TLS certificate changed issuer/,
    );
    const [hold] = await t.store.governance.listHolds();
    assert.equal(hold!.clientId, CIMD_URL);
    assert.ok(
      (await t.store.clients.get(CIMD_URL))!.updatedAt > updatedBefore,
      'older grants no longer approve silently',
    );
    const feed = await t.store.clientChanges.since(0, 100);
    assert.ok(feed.some((change) => change.clientId === CIMD_URL && change.kind === 'updated'));
    assert.equal(await counted('certificate_and_keys'), 1);
    const [document] = await t.store.clientDocuments.history(CIMD_URL);
    assert.deepEqual(
      (JSON.parse(document!.body) as { jwks: unknown }).jwks,
      { keys: [b] },
      'the version is recorded',
    );
  });

  it('not for a renewal under the same CA, nor a new CA while the keys stay', async () => {
    const [a, b] = [await publicKey('a'), await publicKey('b')];
    const { t, serve, state, drifts } = await setup({}, { jwks: { keys: [a] } });
    await serve({
      document: cimdDocument({ jwks: { keys: [b] } }),
      tls: certificate('First CA', 'key-renewed', t.now()),
    });
    await serve({
      document: cimdDocument({ jwks: { keys: [b] }, client_name: 'Renamed' }),
      tls: certificate('Second CA', 'key-two', t.now()),
    });
    assert.deepEqual(await drifts(), []);
    assert.equal(await state(), 'approved');
  });
});

describe('ownership drift: gone_and_back', () => {
  it('gone longer than cimd.driftGoneSeconds, then back with other keys: a recycled domain', async () => {
    const [a, b] = [await publicKey('a'), await publicKey('b')];
    const { t, serve, state, drifts, counted } = await setup(
      { cimd: { driftGoneSeconds: 3600 } },
      { jwks: { keys: [a] } },
    );
    await serve({ fail: { reason: 'dns_failure' } });
    t.advance(2 * 3_600_000);
    await serve({ fail: undefined, document: cimdDocument({ jwks: { keys: [b] } }) });
    const [event] = await drifts();
    assert.equal(event!.reason, 'gone_and_back');
    const finding = (event!.detail as { findings: { gone_reasons: string[]; gone_seconds: number }[] })
      .findings[0]!;
    assert.deepEqual(finding.gone_reasons, ['dns_failure']);
    assert.ok(finding.gone_seconds >= 7200);
    assert.equal(await state(), 'pending');
    assert.equal(await counted('gone_and_back'), 1);
  });

  it('not when it was gone for less, or came back with the same keys and redirects', async () => {
    const [a, b] = [await publicKey('a'), await publicKey('b')];
    const { t, serve, state, drifts } = await setup(
      { cimd: { driftGoneSeconds: 3600 } },
      { jwks: { keys: [a] } },
    );
    await serve({ fail: { reason: 'status_not_200', status: 404 } });
    await serve({ fail: undefined, document: cimdDocument({ jwks: { keys: [b] } }) });
    await serve({ fail: { reason: 'status_not_200', status: 410 } });
    t.advance(2 * 3_600_000);
    await serve({ fail: undefined, document: cimdDocument({ jwks: { keys: [b] }, client_name: 'Back' }) });
    assert.deepEqual(await drifts(), []);
    assert.equal(await state(), 'approved');
  });
});

describe('ownership drift: network_moved', () => {
  it('dialled in another network than every earlier fetch: reported once, the client held', async () => {
    const { serve, state, drifts, counted } = await setup();
    await serve({ remoteAddress: '192.0.77.1' }); // the same /16
    assert.deepEqual(await drifts(), []);
    await serve({ remoteAddress: '198.51.100.7' });
    const [event] = await drifts();
    assert.equal(event!.reason, 'network_moved');
    assert.deepEqual((event!.detail as { findings: unknown[] }).findings[0], {
      signal: 'network_moved',
      reason:
        'the host was dialled at 198.51.100.7 in 198.51.0.0/16, where no earlier fetch was (192.0.0.0/16)',
      address: '198.51.100.7',
      network: '198.51.0.0/16',
      earlier_networks: ['192.0.0.0/16'],
    });
    assert.equal(await state(), 'pending');
    await serve({ remoteAddress: '198.51.100.8' });
    assert.equal((await drifts()).length, 1, 'once per new network');
    assert.equal(await counted('network_moved'), 1);
  });
});

describe('ownership drift: governance.changePolicy.drift report', () => {
  it('audits and counts, and leaves the client as it was', async () => {
    const { serve, state, drifts, counted, t } = await setup({
      governance: { changePolicy: { drift: 'report' } },
    });
    await serve({ remoteAddress: '203.0.113.9' });
    const [event] = await drifts();
    assert.equal((event!.detail as { response: string }).response, 'report');
    assert.equal(await state(), 'approved');
    assert.deepEqual(await t.store.audit.list({ type: 'client.held' }), []);
    assert.equal(await counted('network_moved'), 1);
  });
});
