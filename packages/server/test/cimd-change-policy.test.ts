/**
 * What a changed Client ID Metadata Document does (CIMD §8.4, CIMD-CHG-1, CIMD-CHG-2; issue #13,
 * decision 0031): each change is weighed by the table of core's document-change-policy.ts. A
 * redirect added on a foreign host puts the client back to `pending` with the reason, on every
 * instance; a key rotation or a redirect on the client_id host keeps it; a downgrade (here DPoP
 * dropped) revokes its grants (`consent`) or holds it (`quarantine`); a cosmetic change never
 * interrupts anyone. Also: refused documents are counted in the metrics and audited.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair } from 'jose';
import { isPage } from '../../../test/support/user-agent.ts';
import { ConfigurationError, createAuthorizationServer } from '../src/index.ts';
import { contextOf } from './support/server-internals.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { APP_REDIRECT, createTestServer, ISSUER, VERIFIER } from './support/test-server.ts';

async function setup(downgrade: 'consent' | 'quarantine' = 'consent', first: Record<string, unknown> = {}) {
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument(first));
  const t = await createTestServer({
    outboundFetch: documents.fetch,
    governance: { changePolicy: { downgrade } },
  });
  const ctx = contextOf(t.server);
  const ua = t.userAgent();
  const tokens = await t.tokensFor({ client_id: CIMD_URL });
  assert.ok(tokens.refresh_token, 'first authorization completed');
  // The same browser (logged in, grant given) comes back after the document changed.
  await t.authorize({ client_id: CIMD_URL }, ua);
  const comeBack = async () => {
    const result = await ua.navigate(
      t.authorizationUrl({ client_id: CIMD_URL }),
      (l) => !l.startsWith(`${ISSUER}/`),
    );
    return isPage(result) ? 'asked again' : 'answered silently';
  };
  /** Publishes a new version and makes the server meet it (past the cached copy's freshness). */
  const change = async (extra: Record<string, unknown>) => {
    const versions = async () => (await t.store.clientDocuments.history(CIMD_URL)).length;
    const before = await versions();
    documents.publish(CIMD_URL, cimdDocument(extra));
    t.advance(301_000);
    // The first request after expiry may be served the stale copy while it revalidates.
    for (let request = 0; request < 3 && (await versions()) === before; request++) {
      await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
    }
    assert.equal(await versions(), before + 1, 'the new version was met');
  };
  const decision = async () => {
    const client = await t.store.clients.get(CIMD_URL);
    return (await ctx.governance.current()).decide(client!);
  };
  const refresh = () =>
    t.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: CIMD_URL });
  const changes = async (kind: string) => {
    const metric = await t.server.metrics.getSingleMetricAsString('gatehouse_cimd_document_changes_total');
    return Number(new RegExp(`kind="${kind}"\\} (\\d+)`).exec(metric)?.[1] ?? 0);
  };
  return { t, documents, comeBack, change, decision, refresh, changes };
}

const FOREIGN = 'https://evil.example.test/cb';
const SAME_HOST = 'https://client.example.test/other-callback';

describe('CIMD document changes: holds', () => {
  it('a redirect added on a foreign host puts the client back to pending, with the reason', async () => {
    const { t, change, decision, changes } = await setup();
    assert.equal((await decision()).state, 'approved');
    await change({ redirect_uris: [APP_REDIRECT, FOREIGN] });
    const held = await decision();
    assert.equal(held.state, 'pending');
    assert.equal(held.refusal, 'client_pending');
    assert.match(
      held.reasons[0]!,
      /^held for the operator's review: the client's metadata document changed: /,
    );
    assert.match(
      held.reasons[0]!,
      /redirect https:\/\/evil\.example\.test\/cb added on foreign host evil\.example\.test/,
    );
    const [hold] = await t.store.governance.listHolds();
    assert.equal(hold!.clientId, CIMD_URL);
    // Published for the other instances, which reload governance when they read the feed.
    const feed = await t.store.clientChanges.since(0, 100);
    assert.ok(feed.some((entry) => entry.clientId === CIMD_URL && entry.kind === 'governance'));
    const [event, ...more] = await t.store.audit.list({ type: 'client.held', clientId: CIMD_URL });
    assert.equal(more.length, 0);
    assert.equal(event!.reason, 'client_document_suspicious');
    assert.equal(event!.actor, 'system:document-change');
    const detail = event!.detail as { findings: { field: string; consequence: string }[]; digest: string };
    assert.deepEqual(
      detail.findings.map((finding) => `${finding.field} ${finding.consequence}`),
      ['redirect_uris hold'],
    );
    assert.notEqual(detail.digest, event!.detail!.previous_digest);
    assert.ok(event!.detail!.previous_digest);
    const [changed] = await t.store.audit.list({ type: 'client.document_changed' });
    assert.equal(changed!.reason, 'hold');
    assert.deepEqual((changed!.detail as { changed: string[] }).changed, ['redirect_uris']);
    assert.equal(await changes('hold'), 1);
    assert.equal((await t.store.audit.list({ type: 'client.revoked' })).length, 0, 'held, not revoked');
  });

  it('the hold reaches another instance on the same store within a poll of the change feed', async () => {
    const { t, documents, change } = await setup();
    const other = createAuthorizationServer({
      issuer: ISSUER,
      store: t.store,
      outboundFetch: documents.fetch,
      clientChangePollMs: 100,
      clock: t.now,
    });
    try {
      const governance = contextOf(other).governance;
      const client = await t.store.clients.get(CIMD_URL);
      assert.equal((await governance.current()).decide(client!).state, 'approved');
      await change({ redirect_uris: [APP_REDIRECT, FOREIGN] });
      let state = 'approved';
      for (let waited = 0; waited < 3000 && state !== 'pending'; waited += 50) {
        await sleep(50);
        state = (await governance.current()).decide(client!).state;
      }
      assert.equal(state, 'pending');
    } finally {
      await other.stop();
    }
  });

  it('keys replaced together with a redirect change hold the client, even on the client_id host', async () => {
    const [a, b] = [await publicKey('a'), await publicKey('b')];
    const { change, decision } = await setup('consent', { jwks: { keys: [a] } });
    await change({ jwks: { keys: [b] }, redirect_uris: [APP_REDIRECT, SAME_HOST] });
    const held = await decision();
    assert.equal(held.state, 'pending');
    assert.match(held.reasons[0]!, /every previous key replaced together with a redirect_uris change/);
  });
});

describe('CIMD document changes: kept', () => {
  it('a key rotation keeps the client approved and its users signed in (CIMD-CHG-2)', async () => {
    const [a, b, c] = [await publicKey('a'), await publicKey('b'), await publicKey('c')];
    const { t, comeBack, change, decision, refresh, changes } = await setup('consent', {
      jwks: { keys: [a, b] },
    });
    await change({ jwks: { keys: [b, c] } });
    assert.equal((await decision()).state, 'approved');
    assert.equal(await comeBack(), 'answered silently');
    assert.equal((await refresh()).status, 200);
    const [event] = await t.store.audit.list({ type: 'client.document_changed' });
    assert.equal(event!.reason, 'keep');
    assert.equal((event!.detail as { response: string }).response, 'none');
    assert.equal(await changes('keep'), 1);
    assert.deepEqual(await t.store.governance.listHolds(), []);
  });

  it('a redirect added on the client_id host keeps the client and its grants', async () => {
    const { comeBack, change, decision, refresh } = await setup();
    await change({ redirect_uris: [APP_REDIRECT, SAME_HOST] });
    assert.equal((await decision()).state, 'approved');
    assert.equal(await comeBack(), 'answered silently');
    assert.equal((await refresh()).status, 200);
  });

  it('a cosmetic change (the name) never interrupts anyone, whatever the policy', async () => {
    const { comeBack, change, decision, refresh, changes } = await setup('quarantine');
    await change({ client_name: 'A new name' });
    assert.equal((await decision()).state, 'approved');
    assert.equal(await comeBack(), 'answered silently');
    assert.equal((await refresh()).status, 200);
    assert.equal(await changes('cosmetic'), 1);
  });
});

describe('CIMD document changes: downgrades', () => {
  it('consent (default): DPoP dropped revokes every grant, so users are asked again', async () => {
    const { t, comeBack, change, decision, refresh, changes } = await setup('consent');
    await change({ dpop_bound_access_tokens: true }); // an upgrade: kept
    assert.equal(await changes('keep'), 1);
    await change({});
    assert.equal(await changes('downgrade'), 1);
    const [revoked, ...more] = await t.store.audit.list({ type: 'client.revoked', clientId: CIMD_URL });
    assert.equal(more.length, 0);
    assert.equal(revoked!.reason, 'client_document_downgraded');
    assert.equal(revoked!.actor, 'system:document-change');
    assert.ok((revoked!.detail!.families_revoked as number) >= 1);
    const refused = await refresh();
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
    assert.equal(await comeBack(), 'asked again');
    assert.equal((await decision()).state, 'approved', 'not held');
    const [event] = await t.store.audit.list({ type: 'client.document_changed' });
    assert.equal(event!.reason, 'downgrade');
    assert.equal((event!.detail as { response: string }).response, 'revoke');
  });

  it('quarantine: DPoP dropped holds the client for the operator, its grants untouched', async () => {
    const { t, change, decision } = await setup('quarantine');
    await change({ dpop_bound_access_tokens: true });
    await change({});
    const held = await decision();
    assert.equal(held.state, 'pending');
    assert.match(held.reasons[0]!, /DPoP-bound access tokens no longer required/);
    const [event] = await t.store.audit.list({ type: 'client.held', clientId: CIMD_URL });
    assert.equal(event!.reason, 'client_document_downgraded');
    assert.equal((await t.store.audit.list({ type: 'client.revoked' })).length, 0);
    const grants = await t.store.grants.listByClient(CIMD_URL);
    assert.ok(grants.length > 0 && grants.every((grant) => grant.revokedAt === undefined));
  });
});

describe('cimd.onChange, superseded by governance.changePolicy (decision 0031)', () => {
  it('still accepts reconsent and revoke, and refuses keep, naming the replacement', async () => {
    const { t } = await setup();
    for (const onChange of ['reconsent', 'revoke'] as const) {
      createAuthorizationServer({ issuer: ISSUER, store: t.store, cimd: { onChange } });
    }
    assert.throws(
      () => createAuthorizationServer({ issuer: ISSUER, store: t.store, cimd: { onChange: 'keep' } }),
      (error: unknown) =>
        error instanceof ConfigurationError &&
        error.message ===
          'cimd.onChange: keep is no longer offered: document changes follow the governance change policy (decision 0031)',
    );
  });
});

async function publicKey(kid: string) {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, use: 'sig' };
}

describe('refused documents', () => {
  it('are counted in the metrics by reason and audited, and never cached', async () => {
    const documents = stubDocuments();
    const t = await createTestServer({ outboundFetch: documents.fetch });
    const missing = 'https://client.example.test/missing.json';
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await t.send(t.authorizationUrl({ client_id: missing }));
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null);
    }
    assert.equal(documents.fetches(missing), 2, 'a failure is not cached (CIMD-CACHE-3)');
    const metrics = await t.server.metrics.getSingleMetricAsString('gatehouse_cimd_refusals_total');
    assert.match(metrics, /gatehouse_cimd_refusals_total\{reason="status_not_200"\} 2/);
    const outbound = await t.server.metrics.getSingleMetricAsString(
      'gatehouse_outbound_fetch_refusals_total',
    );
    assert.match(outbound, /gatehouse_outbound_fetch_refusals_total\{reason="status_not_200"\} 2/);
    assert.equal((await t.store.audit.list({ type: 'fetch.refused' })).length, 2);
    assert.equal((await t.store.audit.list({ type: 'cimd.refused' })).length, 2);
  });

  it('an invalid document is refused at the token endpoint too, with invalid_client and a description', async () => {
    const documents = stubDocuments();
    documents.publish(CIMD_URL, cimdDocument({ client_secret: 'not allowed in a CIMD' }));
    const t = await createTestServer({ outboundFetch: documents.fetch });
    const response = await t.token({
      grant_type: 'authorization_code',
      code: 'x',
      code_verifier: VERIFIER,
      client_id: CIMD_URL,
    });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'invalid_client');
    assert.match(body.error_description, /client_secret/);
  });
});
