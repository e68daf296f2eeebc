/**
 * The document history in the admin API (issue #14, item 2): GET /admin/v1/clients/{client_id}/history
 * (versions and a page of the fetch log) and …/history/diff?from&to (the value-level diff), with a
 * read token, answers parsed by the schemas the OpenAPI document is made of, and each refusal with
 * its reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { ADMIN_OPERATIONS } from '../src/admin/admin-openapi.ts';
import { assertRefusal } from './support/refusal.ts';
import { CIMD_URL, cimdDocument } from './support/stub-documents.ts';
import { certificate, stubOrigin } from './support/stub-origin.ts';
import { APP_REDIRECT, createTestServer, ISSUER } from './support/test-server.ts';

type Operations = typeof ADMIN_OPERATIONS;

async function answer<Id extends keyof Operations>(
  response: Response,
  operation: Id,
): Promise<z.output<Operations[Id]['answer']>> {
  assert.equal(response.status, 200, await response.clone().text());
  return ADMIN_OPERATIONS[operation].answer.parse(await response.json()) as z.output<
    Operations[Id]['answer']
  >;
}

async function settled(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function setup() {
  const origin = stubOrigin();
  const t = await createTestServer({ outboundFetch: origin.fetch });
  const tls = certificate('First CA', 'key-one', t.now());
  origin.set(CIMD_URL, { document: cimdDocument(), remoteAddress: '192.0.2.10', tls });
  const serve = async (document: Record<string, unknown>) => {
    origin.update(CIMD_URL, { document });
    t.advance(361_000);
    await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
    await settled();
  };
  await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
  await settled();
  // A second version: a redirect added on the client_id host (kept by the change policy).
  const second = 'https://client.example.test/second';
  await serve(cimdDocument({ redirect_uris: [APP_REDIRECT, second], client_name: 'Second' }));
  const { token } = await t.server.admin.tokens.issue({ scope: 'read', actor: 'test' });
  const get = (path: string) =>
    t.send(`${ISSUER}/admin/v1/clients/${encodeURIComponent(CIMD_URL)}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
  return { t, tls, get, second, token };
}

describe('admin API: document history', () => {
  it('lists the versions, numbered, and the fetches newest first with what each saw', async () => {
    const { t, get } = await setup();
    const history = await answer(await get('/history'), 'clientHistory');
    assert.equal(history.client_id, CIMD_URL);
    assert.equal(history.host, 'client.example.test');
    assert.ok(history.host_first_seen_at);
    assert.deepEqual(
      history.versions.map((version) => version.number),
      [2, 1],
    );
    const versions = await t.store.clientDocuments.history(CIMD_URL);
    assert.deepEqual(
      history.versions.map((version) => version.digest),
      versions.map((version) => version.digest),
    );
    assert.equal(history.versions[0]!.body, versions[0]!.body);
    assert.deepEqual(
      history.fetches.map((fetch) => [fetch.outcome, fetch.digest]),
      [
        ['accepted', versions[0]!.digest],
        ['accepted', versions[1]!.digest],
      ],
    );
    const [newest] = history.fetches;
    assert.equal(newest!.remote_address, '192.0.2.10');
    assert.equal(newest!.tls!.issuer, 'CN=First CA');
    assert.equal(newest!.tls!.spki_sha256, 'key-one');
    assert.equal(history.next_before, undefined);
  });

  it('pages the fetches with limit and before', async () => {
    const { get } = await setup();
    const first = await answer(await get('/history?limit=1'), 'clientHistory');
    assert.equal(first.fetches.length, 1);
    assert.ok(first.next_before);
    const second = await answer(await get(`/history?limit=1&before=${first.next_before}`), 'clientHistory');
    assert.equal(second.fetches.length, 1);
    assert.ok(second.fetches[0]!.id < first.fetches[0]!.id);
  });

  it('diffs two versions by number or by digest prefix, value by value', async () => {
    const { get, second } = await setup();
    const byNumber = await answer(await get('/history/diff?from=1&to=2'), 'clientHistoryDiff');
    assert.deepEqual(byNumber.redirect_uris, { added: [second], removed: [] });
    assert.deepEqual(byNumber.keys, { added: [], removed: [], kept: [] });
    assert.equal(byNumber.jwks_uri, undefined);
    assert.deepEqual(byNumber.members, [
      { member: 'client_name', before: 'Example CIMD client', after: 'Second' },
    ]);
    assert.deepEqual([byNumber.from.number, byNumber.to.number], [1, 2]);
    const prefix = byNumber.to.digest.slice(0, 8);
    const byDigest = await answer(await get(`/history/diff?from=1&to=${prefix}`), 'clientHistoryDiff');
    assert.deepEqual(byDigest, byNumber);
    const backwards = await answer(await get('/history/diff?from=2&to=1'), 'clientHistoryDiff');
    assert.deepEqual(backwards.redirect_uris, { added: [], removed: [second] });
  });

  it('refuses an unknown client, version or parameter, each with its reason', async () => {
    const { t, get, token } = await setup();
    const invalid = (response: Response, reason: string, status = 400) =>
      assertRefusal(t, response, { status, error: 'invalid_request', reason });
    await invalid(await get('/history?limit=0'), 'parameter_invalid');
    await invalid(await get('/history?page=2'), 'parameter_invalid');
    await invalid(await get('/history/diff?from=1'), 'parameter_invalid');
    await invalid(await get('/history/diff?from=1&to=3'), 'version_not_found', 404);
    await invalid(await get('/history/diff?from=1&to=abc'), 'version_not_found', 404);
    const nobody = await t.send(
      `${ISSUER}/admin/v1/clients/${encodeURIComponent('https://nobody.example.test/c.json')}/history`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    await invalid(nobody, 'client_not_found', 404);
    // Two versions whose digests share their first eight characters: a prefix of eight is ambiguous.
    const twin = 'https://twin.example.test/client.json';
    for (const digest of ['AAAAAAAA-one', 'AAAAAAAA-two'])
      await t.store.clientDocuments.record(
        {
          clientId: twin,
          digest,
          body: JSON.stringify({ client_id: twin, n: digest }),
          fetchedAt: t.now(),
          headers: {},
        },
        t.now(),
      );
    const ambiguous = await t.send(
      `${ISSUER}/admin/v1/clients/${encodeURIComponent(twin)}/history/diff?from=AAAAAAAA&to=2`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    await invalid(ambiguous, 'version_ambiguous');
  });
});
