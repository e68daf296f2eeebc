/**
 * What a changed Client ID Metadata Document does (CIMD §8.4, CIMD-CHG-1), per `cimd.onChange`:
 * `keep` audits only; `reconsent` makes earlier grants stop approving silently; `revoke` ends every
 * grant and token of the client. Cosmetic changes (the name) never interrupt anyone. Also: refused
 * documents are counted in the metrics and audited.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPage } from '../../../test/support/user-agent.ts';
import type { DocumentChangePolicy } from '../src/cimd/document-change.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { APP_REDIRECT, createTestServer, ISSUER, VERIFIER } from './support/test-server.ts';

async function setup(onChange: DocumentChangePolicy) {
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument());
  const t = await createTestServer({ outboundFetch: documents.fetch, cimd: { onChange } });
  const ua = t.userAgent();
  const tokens = await t.tokensFor({ client_id: CIMD_URL });
  assert.ok(tokens.refresh_token, 'first authorization completed');
  // The same browser (logged in, grant given) comes back after the document changed and expired.
  await t.authorize({ client_id: CIMD_URL }, ua);
  const comeBack = async () => {
    const result = await ua.navigate(
      t.authorizationUrl({ client_id: CIMD_URL }),
      (l) => !l.startsWith(`${ISSUER}/`),
    );
    return isPage(result) ? 'asked again' : 'answered silently';
  };
  const change = (extra: Record<string, unknown>) => {
    documents.publish(CIMD_URL, cimdDocument(extra));
    t.advance(301_000); // past the minimum freshness of the cached document
  };
  const refresh = () =>
    t.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: CIMD_URL });
  return { t, documents, comeBack, change, refresh };
}

const widerRedirects = { redirect_uris: [APP_REDIRECT, 'https://app.example.test/other'] };

describe('CIMD document changes', () => {
  it('keep: a security-relevant change is audited and nothing else happens', async () => {
    const { t, comeBack, change, refresh } = await setup('keep');
    assert.equal(await comeBack(), 'answered silently');
    change(widerRedirects);
    assert.equal(await comeBack(), 'answered silently');
    assert.equal((await refresh()).status, 200);
    const [event] = await t.store.audit.list({ type: 'client.document_changed' });
    assert.deepEqual((event!.detail as { changed: string[] }).changed, ['redirect_uris']);
  });

  it('reconsent: users are asked again, their tokens keep working', async () => {
    const { t, comeBack, change, refresh } = await setup('reconsent');
    change(widerRedirects);
    assert.equal(await comeBack(), 'asked again');
    assert.equal((await refresh()).status, 200);
    assert.equal((await t.store.clientDocuments.history(CIMD_URL)).length, 2);
  });

  it('revoke: every grant and token of the client ends at once', async () => {
    const { t, comeBack, change, refresh } = await setup('revoke');
    change({ token_endpoint_auth_method: 'none', scope: 'mcp:tools' });
    assert.equal(await comeBack(), 'asked again');
    const refused = await refresh();
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
    const [event] = await t.store.audit.list({ type: 'client.document_changed' });
    assert.equal((event!.detail as { policy: string }).policy, 'revoke');
  });

  it('a cosmetic change (the name) never interrupts anyone, whatever the policy', async () => {
    const { comeBack, change, refresh } = await setup('revoke');
    change({ client_name: 'A new name' });
    assert.equal(await comeBack(), 'answered silently');
    assert.equal((await refresh()).status, 200);
  });
});

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
