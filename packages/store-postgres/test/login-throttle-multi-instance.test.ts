/**
 * Issue #18 finding 3, across instances (decision 0030): three instances on one PostgreSQL schema,
 * as a demanding operator runs them behind a balancer, share the login throttle: attempts spread
 * over them are throttled at the configured limit in total, not three times it. The same scenarios
 * as on one SQLite file (packages/server/test/login-throttling-shared.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import { assertThrottleSharedAcrossInstances } from '../../server/test/support/shared-login-throttle.ts';
import {
  CLIENT_ID,
  type Cluster,
  ISSUER,
  PASSWORD,
  REDIRECT,
  RESOURCE,
  startCluster,
} from './support/instances.ts';
import { postgresForTests } from './support/postgres-server.ts';

const { postgres, skip } = await postgresForTests();

describe('login throttling across 3 instances on one PostgreSQL', { skip }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({
      connectionString: postgres!.connectionString,
      schema: 'login_throttle',
      count: 3,
    });
  });
  after(async () => {
    for (const instance of cluster?.instances ?? []) await instance.server.stop();
    await cluster?.close();
    await postgres?.stop();
  });

  it('attempts spread over the instances are throttled at the configured limit in total', async () => {
    await assertThrottleSharedAcrossInstances(
      {
        issuer: ISSUER,
        servers: cluster.instances.map((instance) => instance.server),
        store: cluster.instances[0]!.store,
        clientId: CLIENT_ID,
        redirectUri: REDIRECT,
        resource: RESOURCE,
        advance: (ms) => cluster.advance(ms),
      },
      { username: 'alice', password: PASSWORD },
    );
  });
});
