/**
 * The atproto profile's client document rules (AT-2, AT-4, AT-8): client_ids refused without a
 * fetch, known clients answered from memory through the AT-2 guard, native clients, and a flood of
 * unknown client_ids refused before any store read (issue #8, decision 0020).
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  atprotoServer,
  type Body,
  CLIENT_ID,
  dpopKey,
  publicDocument,
  push,
  requestParams,
} from './support/atproto-profile.ts';
import { VERIFIER } from './support/test-server.ts';

describe('atproto profile: client documents (AT-2, AT-4)', async () => {
  const { t, documents } = await atprotoServer();
  const key = await dpopKey();

  it('refuses a client_id with a port without fetching it (AT-2)', async () => {
    const withPort = 'https://app.example.test:8443/oauth-client-metadata.json';
    documents.publish(withPort, publicDocument({ client_id: withPort }));
    const answer = await push(t, key, requestParams({ client_id: withPort }));
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_client');
    assert.equal(answer.reason, 'atproto_client_id_port');
    assert.equal(documents.fetches(withPort), 0);
  });

  const invalid: [string, Body, string][] = [
    [
      'without dpop_bound_access_tokens',
      { dpop_bound_access_tokens: false },
      'atproto_dpop_bound_access_tokens',
    ],
    ['without the atproto scope', { scope: 'transition:generic' }, 'atproto_scope_missing'],
    [
      'without token_endpoint_auth_method',
      { token_endpoint_auth_method: undefined },
      'cimd_auth_method_missing',
    ],
    [
      'with client_uri on another host',
      { client_uri: 'https://elsewhere.example.test' },
      'atproto_client_uri_host',
    ],
    [
      'with a private-use redirect on a web client',
      { redirect_uris: ['test.example.app:/cb'] },
      'atproto_redirect_uri',
    ],
  ];
  for (const [name, change, reason] of invalid) {
    it(`refuses a document ${name}`, async () => {
      const clientId = `https://app.example.test/${reason}-${randomUUID()}.json`;
      const document = publicDocument({ client_id: clientId, ...change });
      for (const field of Object.keys(document)) if (document[field] === undefined) delete document[field];
      documents.publish(clientId, document);
      const answer = await push(t, key, requestParams({ client_id: clientId }));
      assert.equal(answer.body.error, 'invalid_client', JSON.stringify(answer.body));
      assert.equal(answer.reason, reason);
    });
  }

  it('answers a known client from memory, without a store read, through the AT-2 guard (decision 0020)', async () => {
    // A server of its own: the other tests here spend app.example.test's fetch budget.
    const { t, documents } = await atprotoServer();
    const first = await push(t, key, requestParams());
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const reads = { clients: 0, documents: 0 };
    const { clients, clientDocuments } = t.store;
    const get = clients.get.bind(clients);
    const latest = clientDocuments.latest.bind(clientDocuments);
    clients.get = (id) => {
      if (id === CLIENT_ID) reads.clients++;
      return get(id);
    };
    clientDocuments.latest = (id) => {
      if (id === CLIENT_ID) reads.documents++;
      return latest(id);
    };
    try {
      const fetchesBefore = documents.fetches(CLIENT_ID);
      for (let i = 0; i < 3; i++) {
        const again = await push(t, key, requestParams({}, `${VERIFIER}-${randomUUID()}`));
        assert.equal(again.status, 201, JSON.stringify(again.body));
      }
      assert.deepEqual(reads, { clients: 0, documents: 0 });
      assert.equal(documents.fetches(CLIENT_ID), fetchesBefore);
    } finally {
      clients.get = get;
      clientDocuments.latest = latest;
    }
  });

  it('accepts a native client with a reverse-domain private-use redirect (AT-8)', async () => {
    const clientId = 'https://native.example.test/oauth-client-metadata.json';
    documents.publish(
      clientId,
      publicDocument({
        client_id: clientId,
        client_uri: 'https://native.example.test',
        application_type: 'native',
        redirect_uris: ['test.example.native:/callback'],
      }),
    );
    const answer = await push(
      t,
      key,
      requestParams({ client_id: clientId, redirect_uri: 'test.example.native:/callback' }),
    );
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
  });
});

describe('atproto profile: a flood of unknown client_ids (issue #8, decision 0020)', async () => {
  // A bucket of a tenth of a fetch per host: every host's first fetch is already over its rate.
  const { t, documents } = await atprotoServer({ cimd: { fetchesPerSecondPerHost: 0.1 } });
  const key = await dpopKey();

  it('refuses what the governor would refuse before any store read, through the AT-2 guard', async () => {
    const reads = { clients: 0, documents: 0 };
    const { clients, clientDocuments } = t.store;
    const get = clients.get.bind(clients);
    const latest = clientDocuments.latest.bind(clientDocuments);
    clients.get = (id) => {
      if (id.startsWith('https://')) reads.clients++;
      return get(id);
    };
    clientDocuments.latest = (id) => {
      reads.documents++;
      return latest(id);
    };
    try {
      for (let i = 0; i < 10; i++) {
        const clientId = `https://f${i % 2}.flood.test/u/${i}`;
        const answer = await push(t, key, requestParams({ client_id: clientId }));
        assert.equal(answer.status, 401);
        assert.equal(answer.body.error, 'invalid_client');
        assert.equal(answer.reason, 'cimd_host_rate');
      }
      // AT-2 still comes first: a client_id with a port is refused for its port, not its host's rate.
      const withPort = await push(t, key, requestParams({ client_id: 'https://f0.flood.test:8443/u/x' }));
      assert.equal(withPort.status, 401);
      assert.equal(withPort.reason, 'atproto_client_id_port');
      assert.deepEqual(reads, { clients: 0, documents: 0 });
      assert.equal(documents.fetches(CLIENT_ID), 0);
      const rows = await t.store.audit.list({ type: 'cimd.refused' });
      assert.deepEqual(
        rows
          .filter((row) => row.detail?.host !== undefined)
          .map((row) => row.detail?.host)
          .sort(),
        ['f0.flood.test', 'f1.flood.test'],
        'audited in aggregate: the first refusal of each host',
      );
    } finally {
      clients.get = get;
      clientDocuments.latest = latest;
    }
  });
});
