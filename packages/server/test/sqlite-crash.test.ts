/**
 * Issue #18, finding 2, on SQLite: a Gatehouse process killed with SIGKILL (a crash, an OOM kill)
 * between the commit of a token request and its answer, or anywhere in a stream of code exchanges,
 * leaves no family without a refresh token and no code used without its session; the client's
 * honest retry, served by the restarted process within the grace, is answered with the same session
 * and refresh token, not punished as a reuse (decision 0036). Each process is a child
 * (./sqlite-crash-worker.ts) on one database file, its clock fixed by the test.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { s256 } from '@gatehouse-oauth/core';
import { prepareStaticClient } from '../src/clients/static-client.ts';
import { digest, randomToken } from '../src/crypto/digest.ts';
import { refreshTokenDigest } from '../src/store/refresh-token-key.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { CrashWorkerInput, CrashWorkerMessage, CrashWorkerRequest } from './sqlite-crash-worker.ts';

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-crash-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

const T = Date.UTC(2026, 10, 23, 12, 0, 0);
const REDIRECT = 'https://app.example.test/callback';
const RESOURCE = 'https://mcp.example.test/mcp';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more-entropy';

/** A fresh database with alice, public-app and `count` authorization codes for it; their values. */
async function seeded(count: number): Promise<{ path: string; codes: string[] }> {
  const path = join(directory, `crash-${++files}.db`);
  const store = openSqliteStore({ path });
  await store.users.create({ id: 'user-alice', username: 'alice', passwordHash: 'unused', createdAt: T });
  const client = prepareStaticClient(
    {
      client_id: 'public-app',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    },
    T,
  );
  await store.clients.put(client.record);
  const codes = Array.from({ length: count }, () => randomToken());
  for (const code of codes) {
    await store.authorizationCodes.create({
      digest: digest(code),
      clientId: 'public-app',
      userId: 'user-alice',
      grantId: 'g1',
      redirectUri: REDIRECT,
      redirectUriSent: true,
      codeChallenge: s256(VERIFIER),
      scope: ['mcp:tools'],
      resources: [RESOURCE],
      authTime: T,
      issuedAt: T,
      expiresAt: T + 60_000,
    });
  }
  await store.close();
  return { path, codes };
}

interface Worker {
  child: ChildProcess;
  token(params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Resolves when the paused worker reports a committed token request. */
  committed: Promise<void>;
  kill(): Promise<void>;
}

/** Starts a worker process and resolves once it serves. */
async function start(given: Omit<CrashWorkerInput, 'resource'>): Promise<Worker> {
  const input: CrashWorkerInput = { ...given, resource: RESOURCE };
  const child = fork(new URL('./sqlite-crash-worker.ts', import.meta.url), [JSON.stringify(input)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (answer: { status: number; body: Record<string, unknown> }) => void>();
  let next = 0;
  let reportCommitted: () => void = () => {};
  const committed = new Promise<void>((resolve) => {
    reportCommitted = resolve;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    child.on('message', (message: CrashWorkerMessage) => {
      if ('ready' in message) resolve();
      else if ('committed' in message) reportCommitted();
      else pending.get(message.id)?.(message);
    });
  });
  await ready;
  return {
    child,
    committed,
    token: (params) =>
      new Promise((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        child.send({ id, params } satisfies CrashWorkerRequest);
      }),
    async kill() {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const redeem = (code: string) => ({
  grant_type: 'authorization_code',
  code,
  redirect_uri: REDIRECT,
  client_id: 'public-app',
  code_verifier: VERIFIER,
});
const refresh = (token: string) => ({
  grant_type: 'refresh_token',
  refresh_token: token,
  client_id: 'public-app',
});

/** What the database file holds, read as an operator would after the crash. */
function inspect(path: string) {
  const db = new DatabaseSync(path);
  try {
    const count = (sql: string) => Number(db.prepare(sql).get()?.count);
    return {
      familiesWithoutRefreshToken: count(
        `SELECT count(*) AS count FROM token_families f WHERE created_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.id)`,
      ),
      codesWithoutFamily: count(
        `SELECT count(*) AS count FROM authorization_codes c WHERE redeemed_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM token_families f WHERE f.id = c.family_id)`,
      ),
      families: count('SELECT count(*) AS count FROM token_families'),
    };
  } finally {
    db.close();
  }
}

/** The refresh tokens of a family: [digest, used] pairs. */
function tokensOf(path: string, familyId: string): [string, boolean][] {
  const db = new DatabaseSync(path);
  try {
    return (
      db.prepare('SELECT digest, used_at FROM refresh_tokens WHERE family_id = ?').all(familyId) as {
        digest: string;
        used_at: number | null;
      }[]
    ).map((row) => [row.digest, row.used_at !== null]);
  } finally {
    db.close();
  }
}

function familyOfCode(path: string, code: string): string | undefined {
  const db = new DatabaseSync(path);
  try {
    const row = db.prepare('SELECT family_id FROM authorization_codes WHERE digest = ?').get(digest(code));
    return (row?.family_id as string | null | undefined) ?? undefined;
  } finally {
    db.close();
  }
}

describe('sqlite: killed between commit and answer', () => {
  it('a code exchange: the restarted server answers the retry with the session that committed', async () => {
    const { path, codes } = await seeded(1);
    const code = codes[0]!;
    const paused = await start({ path, now: T, mode: 'pause' });
    void paused.token(redeem(code)); // its answer never comes
    await paused.committed;
    await paused.kill();

    const familyId = familyOfCode(path, code);
    assert.ok(familyId !== undefined, 'the exchange committed');
    assert.equal(tokensOf(path, familyId).length, 1, 'with its refresh token');

    const restarted = await start({ path, now: T + 2000, mode: 'serve' });
    try {
      const retry = await restarted.token(redeem(code));
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      const refreshToken = retry.body.refresh_token as string;
      assert.deepEqual(
        tokensOf(path, familyId),
        [[refreshTokenDigest(refreshToken), false]],
        'the refresh token that committed',
      );
      assert.equal((await restarted.token(refresh(refreshToken))).status, 200, 'and the session lives on');
    } finally {
      await restarted.kill();
    }
  });

  it('a rotation: the retry gets the successor that committed, and there is one chain', async () => {
    const { path, codes } = await seeded(1);
    const first = await start({ path, now: T, mode: 'serve' });
    const issued = await first.token(redeem(codes[0]!));
    await first.kill();
    const presented = issued.body.refresh_token as string;

    const paused = await start({ path, now: T + 60_000, mode: 'pause' });
    void paused.token(refresh(presented));
    await paused.committed;
    await paused.kill();

    const restarted = await start({ path, now: T + 62_000, mode: 'serve' });
    try {
      const retry = await restarted.token(refresh(presented));
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      const successor = retry.body.refresh_token as string;
      // The presented token (used) and the one successor the rotation committed, nothing else.
      assert.deepEqual(
        tokensOf(path, familyOfCode(path, codes[0]!)!).sort(),
        [
          [refreshTokenDigest(presented), true],
          [refreshTokenDigest(successor), false],
        ].sort(),
      );
      assert.equal((await restarted.token(refresh(successor))).status, 200);
    } finally {
      await restarted.kill();
    }
  });
});

describe('sqlite: killed in the middle of a stream of code exchanges', () => {
  it('no family without a refresh token, no code used without its session, and every retry answered', async () => {
    const CODES = 60;
    const { path, codes } = await seeded(CODES);
    const worker = await start({ path, now: T, mode: 'serve' });
    let answered = 0;
    const killed = new Promise<void>((resolve) => {
      for (const code of codes) {
        void worker.token(redeem(code)).then(() => {
          if (++answered === 10) resolve();
        });
      }
    });
    await killed;
    await worker.kill();

    const after = inspect(path);
    assert.equal(after.familiesWithoutRefreshToken, 0, 'no family without a refresh token');
    assert.equal(after.codesWithoutFamily, 0, 'no code used without its session');

    // The clients retry every exchange whose answer they did not get; all are answered.
    const restarted = await start({ path, now: T + 1000, mode: 'serve' });
    try {
      const statuses = await Promise.all(
        codes.map(async (code) => (await restarted.token(redeem(code))).status),
      );
      assert.deepEqual(statuses, Array(CODES).fill(200));
    } finally {
      await restarted.kill();
    }
    assert.equal(inspect(path).families, CODES, 'one session per code');
  });
});
