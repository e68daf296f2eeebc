import type { Browser } from '../browser.ts';
import { PASSWORD, STATIC_CLIENT, USERNAME } from '../common.ts';
import {
  type Connection,
  expectStatus,
  type LoadOptions,
  type LoadResult,
  runLoad,
  type Step,
} from '../driver.ts';
import {
  type BenchClient,
  codeFlow,
  connectTo,
  DpopKey,
  loggedInBrowser,
  pkce,
  pushAuthorizationRequest,
  type Target,
  tokenRequest,
} from '../oauth.ts';

/**
 * The five throughput scenarios, identical for both servers (issue #8):
 * - `par-cimd`: PAR by a public CIMD client whose document is already cached;
 * - `par-static`: PAR by a pre-registered confidential client (client_secret_basic);
 * - `refresh-dpop`: refresh_token grant with a fresh DPoP proof per request, each connection
 *   rotating its own chain (every answer's refresh token is the next request's);
 * - `code-flow`: PAR → authorization endpoint → token, for a browser with a session and a consent;
 * - `metadata`: the authorization server metadata document.
 */
export interface ScenarioSetup {
  target: Target;
  /** The CIMD client every scenario uses (its document is on the bench document host). */
  cimdClient: BenchClient;
  connections: number;
  load: LoadOptions;
}

export interface ThroughputResult extends LoadResult {
  scenario: string;
  target: string;
  /** Extra facts: requests per operation, whether refresh was really DPoP, nonce retries. */
  notes: Record<string, unknown>;
}

export const STATIC_BENCH_CLIENT: BenchClient = {
  clientId: STATIC_CLIENT.clientId,
  secret: STATIC_CLIENT.secret,
  redirectUri: STATIC_CLIENT.redirectUri,
};

async function withConnections<T>(
  count: number,
  target: Target,
  run: (connections: Connection[]) => Promise<T>,
): Promise<T> {
  const connections = Array.from({ length: count }, () => connectTo(target));
  try {
    return await run(connections);
  } finally {
    await Promise.all(connections.map((connection) => connection.close()));
  }
}

function result(
  scenario: string,
  setup: ScenarioSetup,
  load: LoadResult,
  notes: Record<string, unknown> = {},
): ThroughputResult {
  return { scenario, target: setup.target.name, ...load, notes };
}

export async function parScenario(setup: ScenarioSetup, client: BenchClient, name: string) {
  return withConnections(setup.connections, setup.target, async (connections) => {
    // The document is fetched and cached before the clock starts (scenario (3) is "warm cache").
    await pushAuthorizationRequest(connections[0]!, setup.target, client, pkce().challenge);
    const { challenge } = pkce();
    const steps: Step[] = connections.map((connection) => async () => {
      await pushAuthorizationRequest(connection, setup.target, client, challenge);
    });
    return result(name, setup, await runLoad(steps, setup.load));
  });
}

export async function metadataScenario(setup: ScenarioSetup) {
  return withConnections(setup.connections, setup.target, async (connections) => {
    const steps: Step[] = connections.map((connection) => async () => {
      expectStatus(await connection.send('GET', setup.target.paths.metadata), 200);
    });
    return result('metadata', setup, await runLoad(steps, setup.load));
  });
}

export async function codeFlowScenario(setup: ScenarioSetup) {
  const { target, cimdClient } = setup;
  return withConnections(setup.connections, target, async (connections) => {
    const browsers: Browser[] = [];
    for (const connection of connections) {
      browsers.push(
        await loggedInBrowser(connection, target, cimdClient, { username: USERNAME, password: PASSWORD }),
      );
    }
    let requestsPerFlow = 0;
    const steps: Step[] = connections.map((connection, index) => async () => {
      const flow = await codeFlow(connection, browsers[index]!, target, cimdClient);
      requestsPerFlow = flow.requests;
    });
    const load = await runLoad(steps, setup.load);
    return result('code-flow', setup, load, { requestsPerFlow });
  });
}

export async function refreshScenario(setup: ScenarioSetup) {
  const { target, cimdClient } = setup;
  return withConnections(setup.connections, target, async (connections) => {
    // Each connection: its own user session, its own DPoP key, its own refresh token chain.
    const chains: { key: DpopKey; refreshToken: string }[] = [];
    let tokenType = '';
    for (const connection of connections) {
      const browser = await loggedInBrowser(connection, target, cimdClient, {
        username: USERNAME,
        password: PASSWORD,
      });
      const key = new DpopKey();
      const tokens = await codeFlow(connection, browser, target, cimdClient, key);
      if (tokens.refreshToken === undefined) throw new Error(`${target.name}: no refresh token issued`);
      tokenType = tokens.tokenType;
      chains.push({ key, refreshToken: tokens.refreshToken });
    }
    let nonceRetries = 0;
    const steps: Step[] = connections.map((connection, index) => async () => {
      const chain = chains[index]!;
      const tokens = await tokenRequest(
        connection,
        target,
        cimdClient,
        { grant_type: 'refresh_token', refresh_token: chain.refreshToken },
        chain.key,
      );
      nonceRetries += tokens.nonceRetries;
      tokenType = tokens.tokenType;
      if (tokens.refreshToken === undefined) throw new Error('refresh: no rotated refresh token');
      chain.refreshToken = tokens.refreshToken;
    });
    const load = await runLoad(steps, setup.load);
    // RFC 9449 §5: a DPoP-bound answer says token_type DPoP. A server that ignored the proofs
    // answers Bearer: the figure is then bearer refresh, and the report says so.
    return result('refresh-dpop', setup, load, {
      tokenType,
      dpop: tokenType.toLowerCase() === 'dpop',
      nonceRetries,
    });
  });
}
