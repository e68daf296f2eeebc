/**
 * A throwaway PostgreSQL server for the tests: its own data folder in a fresh temp directory, its
 * own free port on 127.0.0.1 only, trust authentication, durability off (fsync, full-page writes,
 * synchronous commit: a crash loses nothing we care about, and every write is much faster). It uses
 * the machine's PostgreSQL binaries (Debian's `postgresql` package, which .ci/run installs).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** URL of a fresh, empty database on the server, for the `postgres` superuser. */
  connectionString: string;
  /** Stops the server (immediately: nothing in it is kept) and removes its directory. */
  stop(): Promise<void>;
  /**
   * Shuts the server down as an operator would (`pg_ctl stop -m fast`: live sessions are ended with
   * 57P01, new connections refused) and keeps its data, for start() to bring it back on the same port.
   * Asynchronous, so requests keep flowing (and failing) while it happens.
   */
  shutdown(): Promise<void>;
  /** Starts a server that shutdown() stopped, with its data; resolves once it accepts connections. */
  start(): Promise<void>;
}

const DATABASE = 'gatehouse_test';
const SUPERUSER = 'postgres';

/**
 * Starts a server, or returns undefined when this machine has no PostgreSQL binaries, so a fresh
 * checkout's `npm test` still passes. CI sets TEST_REQUIRE_POSTGRES=1: there a missing
 * PostgreSQL is an error, never a silent skip.
 */
export async function startPostgres(): Promise<PostgresServer | undefined> {
  const bin = findBinaries();
  if (bin === undefined) {
    if (process.env.TEST_REQUIRE_POSTGRES === '1') {
      throw new Error(
        'TEST_REQUIRE_POSTGRES=1 but no PostgreSQL binaries were found (/usr/lib/postgresql/*/bin/initdb, or TEST_POSTGRES_BIN)',
      );
    }
    return undefined;
  }

  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(directory, 'data');
  const log = join(directory, 'server.log');
  // PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` user
  // (created by the Debian package), who must own the directory.
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]) => {
    const [command, commandArgs] = asRoot
      ? ['runuser', ['-u', SUPERUSER, '--', join(bin, program), ...args]]
      : [join(bin, program), args];
    // cwd: the postgres user may not be allowed into the caller's working directory.
    const result = spawnSync(command, commandArgs, { cwd: directory, encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) {
      throw new Error(
        `${program} failed (${result.status ?? result.signal ?? result.error?.message}): ${result.stderr || result.stdout}`,
      );
    }
  };

  // The same command, without blocking the event loop (shutdown() and start() during a test).
  const runAsync = (program: string, args: string[]) => {
    const [command, commandArgs] = asRoot
      ? ['runuser', ['-u', SUPERUSER, '--', join(bin, program), ...args]]
      : [join(bin, program), args];
    return new Promise<void>((resolve, reject) => {
      execFile(
        command,
        commandArgs,
        { cwd: directory, encoding: 'utf8', timeout: 60_000 },
        (error, stdout, stderr) =>
          error === null
            ? resolve()
            : reject(new Error(`${program} failed (${error.message}): ${stderr || stdout}`)),
      );
    });
  };

  let started = false;
  const stopNow = () => {
    if (started) {
      started = false;
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      } catch {
        // Already gone; the directory is removed all the same.
      }
    }
    rmSync(directory, { recursive: true, force: true });
  };
  // A test process that exits without calling stop() (a crash, a failed hook) still takes its
  // server down: a stray postmaster would hold the port and the directory.
  process.once('exit', stopNow);

  try {
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
      chownSync(directory, uid, gid);
    }
    run('initdb', [
      '-D',
      data,
      '-U',
      SUPERUSER,
      '--auth=trust',
      '--no-sync',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    // Only the Unix socket in our own directory and 127.0.0.1: nothing else can reach this server.
    writeFileSync(
      join(data, 'pg_hba.conf'),
      'local all all trust\nhost all all 127.0.0.1/32 trust\n',
      // Written by root into a folder the server reads as `postgres`: readable by it.
      { mode: 0o644 },
    );

    const port = await freePort();
    const serverOptions = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      `-k ${directory}`,
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c synchronous_commit=off',
      '-c max_connections=200',
    ].join(' ');
    // -w: pg_ctl returns once the server accepts connections.
    const startArgs = ['start', '-D', data, '-l', log, '-o', serverOptions, '-w', '-t', '60'];
    run('pg_ctl', startArgs);
    started = true;

    const admin = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }

    return {
      connectionString: `postgresql://${SUPERUSER}@127.0.0.1:${port}/${DATABASE}`,
      async stop() {
        process.removeListener('exit', stopNow);
        stopNow();
      },
      async shutdown() {
        if (!started) return;
        await runAsync('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
        started = false;
      },
      async start() {
        if (started) return;
        await runAsync('pg_ctl', startArgs);
        started = true;
      },
    };
  } catch (error) {
    process.removeListener('exit', stopNow);
    stopNow();
    throw error;
  }
}

/**
 * startPostgres() for a test file: the server, and `skip` for its describe() — false, or why there is
 * no server (also logged as `# SKIP`). Stopping it stays with the file, which knows the order.
 */
export async function postgresForTests(): Promise<{
  postgres: PostgresServer | undefined;
  skip: string | false;
}> {
  const postgres = await startPostgres();
  const skip =
    postgres === undefined ? 'postgres: no PostgreSQL binaries on this machine (CI installs them)' : false;
  if (skip !== false) console.log(`# SKIP ${skip}`);
  return { postgres, skip };
}

/**
 * TEST_POSTGRES_BIN when set (another layout, e.g. Homebrew's), else the newest
 * `/usr/lib/postgresql/<version>/bin` holding initdb and pg_ctl (Debian's layout).
 */
function findBinaries(): string | undefined {
  const hasTools = (bin: string) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'));
  const chosen = process.env.TEST_POSTGRES_BIN;
  if (chosen !== undefined && chosen !== '') return hasTools(chosen) ? chosen : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (hasTools(bin)) return bin;
  }
  return undefined;
}

/** A port nobody listens on right now (the kernel's pick for a throwaway listener). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}
