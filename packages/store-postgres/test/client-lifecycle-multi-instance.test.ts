/**
 * Three instances on one PostgreSQL schema (./support/instances.ts): a client removed through one
 * is forgotten by the memory of the others within 2 seconds (the client change feed, polled every
 * second), and everything it held ends for all of them at once (issue #12, one client lifecycle).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import { CIMD_URL, cimdDocument, stubDocuments } from '../../server/test/support/stub-documents.ts';
import { type Cluster, ISSUER, REDIRECT, startCluster, VERIFIER } from './support/instances.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres, skip } = await postgresForTests();

async function appliedRemovals(cluster: Cluster, index: number): Promise<number> {
  const metric = await cluster.instances[index]!.server.metrics.getSingleMetric(
    'gatehouse_client_changes_applied_total',
  );
  const values = (await metric?.get())?.values ?? [];
  return values.find((value) => value.labels.kind === 'removed')?.value ?? 0;
}

function authorizationUrl(): string {
  return `${ISSUER}/authorize?${new URLSearchParams({
    client_id: CIMD_URL,
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge: s256(VERIFIER),
    code_challenge_method: 'S256',
  })}`;
}

describe('the client lifecycle across 3 instances on one PostgreSQL', { skip }, () => {
  let cluster: Cluster;
  const documents = stubDocuments();
  let fetches = 0;
  const outboundFetch: SafeFetch = (url, init) => {
    fetches++;
    return documents.fetch(url, init);
  };
  before(async () => {
    documents.publish(CIMD_URL, cimdDocument({ redirect_uris: [REDIRECT] }));
    cluster = await startCluster({
      connectionString: postgres!.connectionString,
      schema: 'lifecycle',
      count: 3,
      server: { outboundFetch },
    });
  });
  after(async () => {
    for (const instance of cluster?.instances ?? []) await instance.server.stop();
    await cluster?.close();
  });

  it('a removal through one instance is applied by the others within 2 seconds', async () => {
    for (const instance of cluster.instances) {
      const response = await instance.send(authorizationUrl());
      assert.equal(response.status, 303, 'each instance resolves the client');
    }
    assert.equal(fetches, 1, 'fetched once: the other instances adopted the stored version');

    const removed = await cluster.instances[0]!.server.clients.remove(CIMD_URL, {
      actor: 'cli:operator',
      reason: 'operator',
    });
    assert.equal(removed.existed, true);
    assert.equal(await cluster.instances[1]!.store.clients.get(CIMD_URL), undefined);

    const started = Date.now();
    const others = [1, 2];
    while (Date.now() - started < 2000) {
      const applied = await Promise.all(others.map((index) => appliedRemovals(cluster, index)));
      if (applied.every((count) => count >= 1)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const index of others) {
      assert.equal(await appliedRemovals(cluster, index), 1, `instance ${index} applied the removal`);
    }
    // Forgotten indeed: the next request on another instance fetches the document again.
    await cluster.instances[2]!.send(authorizationUrl());
    assert.equal(fetches, 2);
    const events = await cluster.instances[1]!.store.audit.list({
      type: 'client.removed',
      clientId: CIMD_URL,
    });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actor, 'cli:operator');
  });
});
