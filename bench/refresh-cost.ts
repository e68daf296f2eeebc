/**
 * Issue #18, finding 11, in process: the main thread's CPU per refresh with DPoP on the SQLite
 * store (process.threadCpuUsage: the checkpoint worker's copy and fsyncs are not on it), and the
 * store's commits per refresh, with `chains` refresh chains refreshed concurrently, without HTTP.
 *
 *   node bench/refresh-cost.ts [refreshes=3000] [chains=16]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { openSqliteStore } from '../packages/server/src/store/sqlite/sqlite-store.ts';
import { contextOf } from '../packages/server/test/support/server-internals.ts';
import {
  APP_REDIRECT,
  createTestServer,
  ISSUER,
  VERIFIER,
} from '../packages/server/test/support/test-server.ts';
import { restartOnSources } from './lib/sources.ts';

// By hand with plain `node`: again on the sources (lib/sources.ts) before anything runs.
restartOnSources();

const TOTAL = Number(process.argv[2] ?? 3000);
const CHAINS = Number(process.argv[3] ?? 16);
const TOKEN = `${ISSUER}/token`;

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-refresh-cost-'));
const counters = { commits: 0, rows: 0, checkpoints: 0 };
const store = openSqliteStore({ path: join(directory, 'gatehouse.sqlite'), counters } as never);
const t = await createTestServer({ store });
const key = await generateKeyPair('ES256', { extractable: true });
const jwk: JWK = await exportJWK(key.publicKey);
// Proofs are made before the clock starts: their signing is the client's work, not the server's.
const nonce = () =>
  contextOf(t.server)
    .dpop.nonces()
    .then((nonces) => nonces!.current(t.now()));
const proof = async () =>
  new SignJWT({
    htm: 'POST',
    htu: TOKEN,
    iat: Math.floor(t.now() / 1000),
    jti: randomUUID(),
    nonce: await nonce(),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .sign(key.privateKey);
const tokenRequest = async (params: Record<string, string>, dpop: string) => {
  const response = await t.token(params, { dpop });
  const body = (await response.json()) as { refresh_token: string };
  if (response.status !== 200) throw new Error(JSON.stringify(body));
  return body.refresh_token;
};
const chains: string[] = [];
for (let i = 0; i < CHAINS; i++) {
  const code = (await t.authorize()).searchParams.get('code')!;
  const params = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: APP_REDIRECT,
    code_verifier: VERIFIER,
    client_id: 'public-app',
  };
  chains.push(await tokenRequest(params, await proof()));
}
const proofs: string[] = [];
for (let i = 0; i < TOTAL; i++) proofs.push(await proof());
const refresh = (token: string, dpop: string) =>
  tokenRequest({ grant_type: 'refresh_token', refresh_token: token, client_id: 'public-app' }, dpop);

const before = { ...counters };
const cpu = process.threadCpuUsage();
const started = performance.now();
let next = 0;
await Promise.all(
  chains.map(async (first) => {
    let token = first;
    while (next < TOTAL) token = await refresh(token, proofs[next++]!);
  }),
);
const wallMs = performance.now() - started;
const used = process.threadCpuUsage(cpu);
const micros = (used.user + used.system) / TOTAL;
console.log(
  `${TOTAL} refreshes, ${CHAINS} chains: main thread ${micros.toFixed(0)} µs CPU per refresh, ` +
    `${(((used.user + used.system) / 1000 / wallMs) * 100).toFixed(0)} % of wall time busy, ` +
    `${((counters.commits - before.commits) / TOTAL).toFixed(2)} commits per refresh, ` +
    `${((counters.rows - before.rows) / TOTAL).toFixed(2)} rows per refresh`,
);
await store.close();
rmSync(directory, { recursive: true, force: true });
