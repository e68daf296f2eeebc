/**
 * What a request writes on SQLite (issue #18, finding 11): a probe counts the commits, the rows
 * (SQLite's total_changes) and the WAL frames each request-path exchange adds, for the requests
 * the bench measures: PAR by a CIMD client, the code exchange with DPoP, the refresh with DPoP.
 * Counts, not timings. And: the WAL checkpoints (the fsyncs) run on the checkpoint worker, not in
 * the committing request.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { SqliteWriteCounters } from '../src/store/sqlite/connection.ts';
import { openSqliteDatabase, openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { contextOf } from './support/server-internals.ts';
import { CIMD_URL, cimdDocument, stubDocuments } from './support/stub-documents.ts';
import { APP_REDIRECT, createTestServer, ISSUER, VERIFIER } from './support/test-server.ts';

const TOKEN = `${ISSUER}/token`;

async function setup(checkpointIntervalMs: number) {
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-write-cost-'));
  const path = join(directory, 'gatehouse.sqlite');
  const counters: SqliteWriteCounters = { commits: 0, rows: 0, checkpoints: 0 };
  const store = openSqliteStore({ path, counters, checkpointIntervalMs });
  const documents = stubDocuments();
  documents.publish(CIMD_URL, cimdDocument());
  const t = await createTestServer({ store, outboundFetch: documents.fetch });
  const key = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = await exportJWK(key.publicKey);
  const proof = async () => {
    const nonce = (await contextOf(t.server).dpop.nonces())!.current(t.now());
    const claims = { htm: 'POST', htu: TOKEN, iat: Math.floor(t.now() / 1000), jti: randomUUID(), nonce };
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(key.privateKey);
  };
  const walBytes = () => {
    try {
      return statSync(`${path}-wal`).size;
    } catch {
      return 0;
    }
  };
  /** What `step` wrote: commits, rows, WAL frames (4 KiB pages plus their 24-byte frame headers). */
  const cost = async (step: () => Promise<unknown>) => {
    await new Promise((resolve) => setImmediate(resolve)); // nothing of the set-up still queued
    const before = { ...counters, wal: walBytes() };
    await step();
    await new Promise((resolve) => setImmediate(resolve));
    return {
      commits: counters.commits - before.commits,
      rows: counters.rows - before.rows,
      frames: Math.round((walBytes() - before.wal) / (4096 + 24)),
    };
  };
  const tokenRequest = async (params: Record<string, string>) => {
    const response = await t.token(params, { dpop: await proof() });
    const body = (await response.json()) as { refresh_token: string; token_type: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body;
  };
  const code = async () => (await t.authorize()).searchParams.get('code')!;
  const exchange = (value: string) =>
    tokenRequest({
      grant_type: 'authorization_code',
      code: value,
      redirect_uri: APP_REDIRECT,
      code_verifier: VERIFIER,
      client_id: 'public-app',
    });
  const refresh = (token: string) =>
    tokenRequest({ grant_type: 'refresh_token', refresh_token: token, client_id: 'public-app' });
  const close = async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  };
  return { t, counters, cost, code, exchange, refresh, close };
}

describe('what each request writes on SQLite (issue #18, finding 11)', () => {
  it('counts commits, rows and WAL frames of PAR (CIMD), the code exchange and the refresh, with DPoP', async () => {
    const s = await setup(0);
    const par = () => s.t.post('/par', s.t.authorizationParams({ client_id: CIMD_URL }));
    assert.equal((await par()).status, 201); // resolves and records the document once
    const parCost = await s.cost(async () => assert.equal((await par()).status, 201));
    const code = await s.code();
    let token = '';
    const exchangeCost = await s.cost(async () => {
      token = (await s.exchange(code)).refresh_token;
    });
    token = (await s.refresh(token)).refresh_token; // the client's first refresh of the hour records its activity
    const refreshCost = await s.cost(async () => {
      const answer = await s.refresh(token);
      assert.equal(answer.token_type, 'DPoP');
    });
    // The counts of the code as it is, so a change that adds a write shows here (docs/benchmarks.md).
    // PAR: the pushed request. Code exchange: the DPoP jti; the code, family and first refresh token
    // (one transaction, decision 0036); the audit row; the client's activity (once an hour).
    // Refresh: the jti; the rotation (the token used, its successor: one transaction); the audit row.
    assert.deepEqual(
      { par: [parCost.commits, parCost.rows], exchange: [exchangeCost.commits, exchangeCost.rows] },
      { par: [1, 1], exchange: [4, 6] },
    );
    assert.deepEqual([refreshCost.commits, refreshCost.rows], [3, 4]);
    assert.ok(refreshCost.frames > 0 && parCost.frames > 0, JSON.stringify({ parCost, refreshCost }));
    await s.close();
  });

  it('shares commits between concurrent requests: refreshes of one event-loop turn commit together', async () => {
    const s = await setup(0);
    const tokens: string[] = [];
    for (let i = 0; i < 8; i++)
      tokens.push((await s.refresh((await s.exchange(await s.code())).refresh_token)).refresh_token);
    const together = await s.cost(() => Promise.all(tokens.map((token) => s.refresh(token))));
    // 8 refreshes alone would be 24 commits; together, each write turn is one commit for all that
    // reached it (3 on an idle machine; a loaded one spreads them over a few more turns). A count,
    // not a time: sharing is what is asserted, with room for how the turns fall.
    assert.equal(together.rows, 8 * 4);
    assert.ok(together.commits <= 8, `8 refreshes in ${together.commits} commits`);
    await s.close();
  });

  it('runs the WAL checkpoints (the fsyncs) on the checkpoint worker, not in the committing request', async () => {
    const s = await setup(20);
    const code = await s.code();
    await s.refresh((await s.exchange(code)).refresh_token);
    // Waits for the worker's timer; no duration is asserted.
    while (s.counters.checkpoints === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(s.counters.checkpoints >= 1);
    await s.close();
  });

  it('starts the WAL over under writes that never stop (the checkpoint worker restarts it)', async () => {
    // A WAL starts over only when a write begins with every frame copied back. Under steady writes
    // a PASSIVE checkpoint on another thread, longer than the gap between two commits, never ends
    // with every frame copied, so the WAL never started over and grew without bound (4.7 GB in two
    // minutes of the bench). Here commits back to back, one per turn, while the worker checkpoints
    // twenty times, with a restart past 32 frames: the WAL starts over. Counts, not times.
    const directory = mkdtempSync(join(tmpdir(), 'gatehouse-wal-restart-'));
    const path = join(directory, 'gatehouse.sqlite');
    const counters: SqliteWriteCounters = { commits: 0, rows: 0, checkpoints: 0, walRestarts: 0 };
    const store = openSqliteStore({ path, counters, checkpointIntervalMs: 2, walRestartFrames: 32 });
    await store.replay.remember('first', Date.now() + 60_000, Date.now());
    while (counters.checkpoints === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const from = counters.checkpoints;
    for (let i = 0; counters.checkpoints < from + 20; i++)
      await store.replay.remember(`steady-${i}`, Date.now() + 60_000, Date.now());
    assert.ok(counters.walRestarts! >= 1, `the WAL started over ${counters.walRestarts} times`);
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('opens with synchronous=NORMAL by default and FULL when asked (sqlite.synchronous)', () => {
    const directory = mkdtempSync(join(tmpdir(), 'gatehouse-synchronous-'));
    const synchronous = (mode?: 'normal' | 'full') => {
      const db = openSqliteDatabase(join(directory, `${mode ?? 'default'}.sqlite`), mode);
      const value = db.prepare('PRAGMA synchronous').get()?.synchronous;
      db.close();
      return value;
    };
    // SQLite's codes: 1 NORMAL, 2 FULL.
    assert.deepEqual([synchronous(), synchronous('normal'), synchronous('full')], [1, 1, 2]);
    rmSync(directory, { recursive: true, force: true });
  });
});
