/**
 * Issue #13: three instances on one PostgreSQL schema. A block made through one instance is
 * enforced by the others within 2 seconds (the `governance` change on the client change feed,
 * polled every second), and an approval likewise lets a pending client through everywhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { CIMD_URL, cimdDocument, stubDocuments } from '../../server/test/support/stub-documents.ts';
import { type Cluster, ISSUER, REDIRECT, startCluster, VERIFIER } from './support/instances.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres, skip } = await postgresForTests();

function authorizationUrl(): string {
  return `${ISSUER}/authorize?${new URLSearchParams({
    client_id: CIMD_URL,
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge: s256(VERIFIER),
    code_challenge_method: 'S256',
  })}`;
}

/** Milliseconds until every instance answers `status`; fails after 2 seconds. */
async function untilEveryInstance(cluster: Cluster, status: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const statuses = await Promise.all(
      cluster.instances.map(async (instance) => (await instance.send(authorizationUrl())).status),
    );
    if (statuses.every((answered) => answered === status)) return Date.now() - started;
    if (Date.now() - started > 2000) assert.fail(`after 2 s the instances answer ${statuses.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('governance across 3 instances on one PostgreSQL', { skip }, () => {
  let cluster: Cluster;
  const documents = stubDocuments();
  before(async () => {
    documents.publish(CIMD_URL, cimdDocument({ redirect_uris: [REDIRECT] }));
    cluster = await startCluster({
      connectionString: postgres!.connectionString,
      schema: 'governance',
      count: 3,
      server: { outboundFetch: documents.fetch },
    });
  });
  after(async () => {
    for (const instance of cluster?.instances ?? []) await instance.server.stop();
    await cluster?.close();
  });

  it('a block through one instance is enforced by every other within 2 seconds; unblock likewise', async () => {
    await untilEveryInstance(cluster, 303); // every instance serves the client
    await cluster.instances[0]!.server.governance.block(CIMD_URL, {
      actor: 'admin-token:ops',
      reason: 'compromised',
    });
    const tookMs = await untilEveryInstance(cluster, 400);
    assert.ok(tookMs <= 2000, `blocked everywhere in ${tookMs} ms`);
    const [event] = await cluster.instances[2]!.store.audit.list({
      type: 'client.refused',
      clientId: CIMD_URL,
    });
    assert.equal(event?.reason, 'client_blocked');

    await cluster.instances[1]!.server.governance.unblock(CIMD_URL, { actor: 'admin-token:ops' });
    await untilEveryInstance(cluster, 303);
  });
});
