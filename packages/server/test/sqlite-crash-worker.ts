/**
 * One Gatehouse process of sqlite-crash.test.ts: a child process (so it can be killed with SIGKILL)
 * serving token requests over IPC from a SQLite file, at a clock the test fixes. In `pause` mode it
 * stops every token request after its state committed and before its answer: the audit sink, which
 * a grant awaits after its store writes, reports `committed` and never returns, so the test can
 * kill the process exactly between the commit and the answer.
 */
import { createAuthorizationServer } from '../src/index.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';

export interface CrashWorkerInput {
  path: string;
  now: number;
  mode: 'serve' | 'pause';
  /** The one protected resource, whose scope the seeded codes carry. */
  resource: string;
}

/** A request from the test: the token endpoint's form parameters. */
export interface CrashWorkerRequest {
  id: number;
  params: Record<string, string>;
}

export type CrashWorkerMessage =
  | { ready: true }
  | { committed: true }
  | { id: number; status: number; body: Record<string, unknown> };

const ISSUER = 'https://as.example.test';

const input = JSON.parse(process.argv[2]!) as CrashWorkerInput;
const send = (message: CrashWorkerMessage) => process.send!(message);
const store = openSqliteStore({ path: input.path });
const server = createAuthorizationServer({
  issuer: ISSUER,
  store,
  clock: () => input.now,
  resources: [{ uri: input.resource, scopes: ['mcp:tools'], defaultScopes: ['mcp:tools'] }],
  ...(input.mode === 'pause'
    ? {
        auditSink: (event) => {
          if (event.type !== 'token.issued') return store.audit.append(event);
          send({ committed: true });
          return new Promise<void>(() => {});
        },
      }
    : {}),
});

process.on('message', async ({ id, params }: CrashWorkerRequest) => {
  const response = await server.fetch(
    new Request(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    }),
  );
  send({ id, status: response.status, body: (await response.json()) as Record<string, unknown> });
});
send({ ready: true });
