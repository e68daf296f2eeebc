import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  hashPassword,
  prepareStaticClient,
  type SubjectSupplier,
  type TxtLookup,
} from '@gatehouse-oauth/server';
import { Agent, fetch as undiciFetch } from 'undici';
import { type RunningGatehouse, startGatehouse } from '../../packages/cli/src/commands/serve.ts';
import { loadConfig } from '../../packages/cli/src/config.ts';
import { testLookup } from './test-hosts.ts';
import { createTestCa, type TestCa } from './test-pki.ts';

/**
 * The real server, as `gatehouse serve` runs it (SQLite in a fresh data directory, https with a
 * certificate from a CA made for this run), on a loopback port. Clients reach it through an undici
 * Agent that trusts that CA and nothing else special.
 */
/** A fetch loose enough in its options type to serve oauth4webapi, the MCP SDK and the user agent alike. */
export type TestFetch = (
  url: string,
  init?: {
    method?: string | undefined;
    headers?: unknown;
    body?: unknown;
    redirect?: unknown;
    signal?: unknown;
  },
) => Promise<Response>;

export interface TestDeployment {
  /** The CA that signed the server's certificate; use it for `.test` hosts too. */
  ca: TestCa;
  gatehouse: RunningGatehouse;
  /** The data directory (`--data`): the CLI run beside the server opens the same SQLite file. */
  dataDir: string;
  issuer: string;
  dispatcher: Agent;
  /** fetch that trusts the test CA: hand it to third-party clients as their customFetch. */
  fetch: TestFetch;
  addUser(username: string, password: string): Promise<string>;
  addClient(metadata: Record<string, unknown>): Promise<{ clientId: string; secret?: string }>;
  close(): Promise<void>;
}

/**
 * @param testHosts `.test` names the server may fetch from (client metadata documents, JWKS): they
 *   are served on 127.0.0.1 by `startTestHost`, and the server reaches them through the development
 *   switches a developer would use (`--dev-loopback-fetch --fetch-ca --dev-host`), never through a
 *   test-only path in the server.
 */
export async function startTestDeployment(
  config: Record<string, unknown> = {},
  options: {
    testHosts?: readonly string[];
    ca?: TestCa;
    /** The server's subject supplier (AT Protocol: account → DID); default the user id. */
    subject?: SubjectSupplier;
    /** More names for the server's certificate than `localhost` (an issuer on a `.test` name). */
    serverNames?: readonly string[];
    /** The DNS TXT lookup of the Lexicon resolver (AT-16): tests answer for their `.test` authorities. */
    resolveTxt?: TxtLookup;
  } = {},
): Promise<TestDeployment> {
  const ca = options.ca ?? (await createTestCa('Gatehouse e2e test CA'));
  const leaf = await ca.issue(['localhost', ...(options.serverNames ?? [])]);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  writeFileSync(join(dir, 'cert.pem'), leaf.cert);
  writeFileSync(join(dir, 'key.pem'), leaf.key);
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  const testHosts = options.testHosts ?? [];
  const gatehouse = await startGatehouse(
    loadConfig({
      flags: {
        host: '127.0.0.1',
        port: 0,
        data: join(dir, 'data'),
        tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
        log_level: 'silent',
        ...(testHosts.length === 0
          ? {}
          : {
              fetch: {
                dev_loopback: true,
                ca_file: join(dir, 'ca.pem'),
                dev_hosts: Object.fromEntries(testHosts.map((name) => [name, '127.0.0.1'])),
              },
            }),
        ...config,
      },
    }),
    {
      ...(options.subject === undefined ? {} : { subject: options.subject }),
      ...(options.resolveTxt === undefined ? {} : { resolveTxt: options.resolveTxt }),
    },
  );
  const dispatcher = new Agent({ connect: { ca: ca.certPem, lookup: testLookup as never } });
  const testFetch: TestFetch = async (url, init) =>
    (await undiciFetch(url, { ...(init as object), dispatcher } as Parameters<
      typeof undiciFetch
    >[1])) as unknown as Response;
  return {
    ca,
    gatehouse,
    dataDir: join(dir, 'data'),
    issuer: gatehouse.issuer,
    dispatcher,
    fetch: testFetch,
    async addUser(username, password) {
      const id = randomUUID();
      await gatehouse.store.users.create({
        id,
        username,
        passwordHash: await hashPassword(password),
        createdAt: Date.now(),
      });
      return id;
    },
    async addClient(metadata) {
      const { record, generatedSecret } = prepareStaticClient(metadata, Date.now());
      await gatehouse.store.clients.put(record);
      return generatedSecret === undefined
        ? { clientId: record.clientId }
        : { clientId: record.clientId, secret: generatedSecret };
    },
    async close() {
      await gatehouse.stop();
      await dispatcher.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
