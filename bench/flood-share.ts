/**
 * Issue #18, finding 10, in process and by counts: how much of the server's CPU a flood of distinct
 * unknown CIMD client_ids takes from known clients when both run as closed loops with equal
 * connection counts (the bench's "contention" phase), without HTTP and without wall-clock figures:
 * the CPU the process spends (process.cpuUsage) while the known client completes N PARs alone, and
 * while it completes N PARs beside the flood. legit share = CPU alone / CPU beside the flood. Run
 * with admission control as configured (`on`) and with it effectively off (`off`: every budget at
 * its maximum), in the same process, one after the other.
 *
 *   node bench/flood-share.ts [N=4000] [loops=16]
 *
 * A shared machine slows both phases alike (CPU time, not wall time, is compared); the ratio is
 * what to read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s256 } from '@gatehouse-oauth/core';
import { type SafeFetch, SafeFetchError } from '@gatehouse-oauth/safe-fetch';
import { createAuthorizationServer } from '../packages/server/src/index.ts';
import { openSqliteStore } from '../packages/server/src/store/sqlite/sqlite-store.ts';
import { restartOnSources } from './lib/sources.ts';

// By hand with plain `node`: again on the sources (lib/sources.ts) before anything runs.
restartOnSources();

const ISSUER = 'https://as.bench.test';
const RESOURCE = 'https://mcp.bench.test/mcp';
const CLIENT = 'https://client.bench.test/client.json';
const REDIRECT = 'https://client.bench.test/callback';
const N = Number(process.argv[2] ?? 4000);
const LOOPS = Number(process.argv[3] ?? 16);

const document = JSON.stringify({
  client_id: CLIENT,
  client_name: 'Bench client',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
});
// The document host: the known client's document, 404 for every flood id, each after a turn.
const fetch: SafeFetch = async (input) => {
  const url = String(input);
  await new Promise((resolve) => setImmediate(resolve));
  if (url !== CLIENT)
    throw new SafeFetchError('status_not_200', `GET ${url} answered 404`, { url, status: 404 });
  const body = new TextEncoder().encode(document);
  return {
    status: 200,
    url,
    headers: new Headers({ 'content-type': 'application/json', 'cache-control': 'max-age=3600' }),
    body,
    remoteAddress: '192.0.2.10',
    text: () => document,
    json: () => JSON.parse(document),
  };
};

const form = (clientId: string) =>
  new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    resource: RESOURCE,
    scope: 'mcp:tools',
    code_challenge: s256('a-bench-verifier-of-enough-length-0123456789-abcdefghijkl'),
    code_challenge_method: 'S256',
  }).toString();

async function measure(admission: 'on' | 'off') {
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-flood-share-'));
  const store = openSqliteStore({ path: join(directory, 'gatehouse.sqlite') });
  const off = {
    unknownPending: 100_000,
    unknownPendingPerHost: 100_000,
    unknownConcurrency: 10_000,
    unknownConcurrencyWhenBusy: 10_000,
    shedEventLoopDelayMs: 0,
  };
  const server = createAuthorizationServer({
    issuer: ISSUER,
    store,
    outboundFetch: fetch,
    resources: [{ uri: RESOURCE, scopes: ['mcp:tools'], defaultScopes: ['mcp:tools'] }],
    ...(admission === 'off' ? { cimd: off } : {}),
  });
  const par = async (clientId: string) => {
    const response = await server.fetch(
      new Request(`${ISSUER}/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form(clientId),
      }),
    );
    await response.arrayBuffer();
    return response.status;
  };
  if ((await par(CLIENT)) !== 201) throw new Error('the known client was not served');
  const legit = async () => {
    let done = 0;
    await Promise.all(
      Array.from({ length: LOOPS }, async () => {
        while (done < N) {
          done++;
          await par(CLIENT);
        }
      }),
    );
  };
  // Warm-up, then the known client alone.
  await legit();
  const alone = process.cpuUsage();
  await legit();
  const aloneCpu = process.cpuUsage(alone);
  // Beside the flood: the flood's loops run until the known client has done N again.
  let flooding = true;
  let floodDone = 0;
  const statuses = new Map<number, number>();
  const flood = Array.from({ length: LOOPS }, async () => {
    while (flooding) {
      const status = await par(`https://f${floodDone % 100}.flood.test/u/${floodDone++}`);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  const beside = process.cpuUsage();
  await legit();
  const besideCpu = process.cpuUsage(beside);
  flooding = false;
  await Promise.all(flood);
  await server.stop();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
  const micros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;
  return {
    admission,
    legitShare: micros(aloneCpu) / micros(besideCpu),
    floodPerLegit: floodDone / N,
    floodStatuses: Object.fromEntries(statuses),
  };
}

for (const admission of ['off', 'on', 'off', 'on'] as const) {
  const result = await measure(admission);
  console.log(
    `admission ${result.admission}: legit share of CPU ${(result.legitShare * 100).toFixed(0)} %, ` +
      `flood requests per legit PAR ${result.floodPerLegit.toFixed(2)}, flood answers ${JSON.stringify(result.floodStatuses)}`,
  );
}
