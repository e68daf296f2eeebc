import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  type ClientRecord,
  clientIndexTerms,
  createClientInventoryFor,
  createClientLifecycle,
  createRecordRows,
  type InventoryFilter,
  openSqliteStore,
} from '@gatehouse-oauth/server';

/**
 * Issue #14: the client inventory listed and filtered over 100,000 clients in a SQLite store, in
 * process, through the same service the CLI and the admin API call (server.inventory). The clients
 * are a mix an operator of many agents would have: 60% Client ID Metadata Document clients on
 * 997 tenant domains, 35% dynamic registrations (50 software_ids), 5% pre-registered native
 * clients (loopback redirects: the `local` tier); 80% seen in the last 90 days, 1% with an owner.
 * Governance is open mode with 1,000 rules of every selector kind, a few blocking (as the
 * governance bench has them). Each query is the first page (100 entries) of a listing, timed
 * after a warm-up, median of the runs; the whole table walked page by page (what `gatehouse
 * clients list` does) is reported beside, without a target.
 */
export const INVENTORY_CLIENTS = 100_000;
export const INVENTORY_TARGET_MS = 250;

export interface InventoryQueryResult {
  name: string;
  entries: number;
  medianMs: number;
  /** CPU time of this process for the same run: what a quiet machine's wall time would be. */
  medianCpuMs: number;
}

export interface InventoryResult {
  clients: number;
  setupMs: number;
  queries: InventoryQueryResult[];
  /** Every entry, page by page (1,000 a page), as `gatehouse clients list` prints them. */
  walk: { entries: number; ms: number; cpuMs: number };
}

const DAY = 24 * 3_600_000;
const NOW = Date.UTC(2026, 11, 1);

const QUERIES: [string, InventoryFilter][] = [
  ['list, first page', {}],
  ['--kind dcr', { kind: 'dcr' }],
  ['--kind static (5%)', { kind: 'static' }],
  ['--state approved', { state: 'approved' }],
  ['--state blocked (a domain: rule, 60 clients)', { state: 'blocked' }],
  ['--tier local (5%)', { tier: 'local' }],
  ['--domain tenant7.example (100)', { domain: 'tenant7.example' }],
  ['--software-id agent-3 (of 35%)', { softwareId: 'agent-3' }],
  ['--idle-days 30', { idleDays: 30 }],
  ['--idle-days 30 --kind cimd --state approved', { idleDays: 30, kind: 'cimd', state: 'approved' }],
  ['--owner team-3 (of 1%)', { owner: 'team-3' }],
  ['sort by last seen', { sort: 'last_seen' }],
];

function record(index: number): ClientRecord {
  // 997 tenants (a prime): every tenant has clients of every kind.
  const tenant = `tenant${index % 997}.example`;
  const kind = index % 20 === 0 ? 'static' : index % 20 < 8 ? 'dcr' : 'cimd';
  const clientId =
    kind === 'cimd'
      ? `https://app${index}.${tenant}/oauth/client.json`
      : `${kind}-${index.toString(36).padStart(5, '0')}-bench`;
  const redirectUris =
    kind === 'static'
      ? ['http://127.0.0.1/callback', 'com.example.bench:/callback']
      : [`https://${kind === 'cimd' ? `app${index}` : `cb${index}`}.${tenant}/callback`];
  return {
    clientId,
    kind,
    metadata: {
      client_id: clientId,
      client_name: `Bench client ${index}`,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'mcp:tools',
      ...(kind === 'dcr' ? { software_id: `agent-${index % 50}` } : {}),
    },
    createdAt: NOW - 120 * DAY + index,
    updatedAt: NOW - 120 * DAY + index,
  };
}

/** 1,000 rules of every kind; `domain:tenant7.example` blocks its 100 clients. */
function rules(): { selector: string; state?: 'approved' | 'blocked' | 'pending'; tier?: 'self-asserted' }[] {
  const written: ReturnType<typeof rules> = [{ selector: 'domain:tenant7.example', state: 'blocked' }];
  const kinds = [
    (i: number) => ({ selector: `https://vendor${i}.example/oauth/client.json`, state: 'approved' as const }),
    (i: number) => ({ selector: `https://vendor${i}.example/mcp/*/client.json`, state: 'approved' as const }),
    (i: number) => ({ selector: `domain:other${i}.example`, state: 'blocked' as const }),
    (i: number) => ({ selector: `host:app${i}.elsewhere.example`, tier: 'self-asserted' as const }),
    (i: number) => ({ selector: `software:vendor-agent-${i}`, state: 'approved' as const }),
    (i: number) => ({ selector: `redirect-host:cb${i}.elsewhere.example`, state: 'blocked' as const }),
  ];
  for (let i = 0; written.length < 1000; i++) written.push(kinds[i % kinds.length]!(i));
  return written;
}

/**
 * Writes the clients as the store does (the record, its index terms, and nothing left pending),
 * in one transaction: the clients store writes one record per transaction, which is right for a
 * server and needlessly slow for a bench's setup.
 */
export function seed(path: string, clients = INVENTORY_CLIENTS): void {
  const db = new DatabaseSync(path);
  const rows = createRecordRows((value: boolean) => (value ? 1 : 0));
  const insertClient = db.prepare(
    `INSERT INTO clients (client_id, kind, metadata, secret_digest, secret_expires_at, created_at, updated_at,
       registration, registration_fingerprint, last_used_at, shared_registration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertTerm = db.prepare('INSERT INTO client_index (term, value, client_id) VALUES (?, ?, ?)');
  const insertActivity = db.prepare(
    `INSERT INTO client_activity (client_id, first_seen_at, last_seen_at, last_authorization_at, last_token_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const insertOwner = db.prepare(
    `INSERT INTO client_operator_fields (client_id, owner, labels, updated_by, updated_at) VALUES (?, ?, '[]', 'bench', ?)`,
  );
  db.exec('BEGIN');
  for (let index = 0; index < clients; index++) {
    const client = record(index);
    insertClient.run(...rows.clientRow(client));
    for (const [term, value] of clientIndexTerms(client)) insertTerm.run(term, value, client.clientId);
    if (index % 5 !== 0) {
      const seen = NOW - (index % 90) * DAY;
      insertActivity.run(client.clientId, client.createdAt, seen, seen, seen);
    }
    if (index % 100 === 0) insertOwner.run(client.clientId, `team-${index % 7}`, NOW);
  }
  db.exec('DELETE FROM client_index_pending');
  db.exec('COMMIT');
  db.close();
}

export async function inventoryScenario(options: { quick: boolean }): Promise<InventoryResult> {
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-bench-inventory-'));
  const path = join(directory, 'gatehouse.sqlite');
  try {
    // Opening creates the schema; the seed then writes as the store would.
    await openSqliteStore({ path }).close();
    const started = performance.now();
    seed(path);
    const setupMs = Math.round(performance.now() - started);
    const store = openSqliteStore({ path });
    const inventory = createClientInventoryFor(
      {
        issuer: 'https://as.bench.test',
        store,
        clock: () => NOW,
        governance: { mode: 'open', rules: rules() },
      },
      {
        lifecycle: createClientLifecycle({ store, clock: () => NOW, audit: async () => {} }),
        audit: async () => {},
      },
    );
    try {
      const runs = options.quick ? 5 : 21;
      const queries: InventoryQueryResult[] = [];
      for (const [name, filter] of QUERIES) {
        let entries = 0;
        await inventory.list(filter); // warm: prepared statements, the governance snapshot
        const times: number[] = [];
        const cpuTimes: number[] = [];
        for (let run = 0; run < runs; run++) {
          const begin = performance.now();
          const cpu = process.cpuUsage();
          entries = (await inventory.list(filter)).entries.length;
          times.push(performance.now() - begin);
          cpuTimes.push(cpuMs(process.cpuUsage(cpu)));
        }
        queries.push({ name, entries, medianMs: median(times), medianCpuMs: median(cpuTimes) });
      }
      const begin = performance.now();
      const cpu = process.cpuUsage();
      let walked = 0;
      let cursor: string | undefined;
      do {
        const page = await inventory.list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
        walked += page.entries.length;
        cursor = page.next;
      } while (cursor !== undefined);
      return {
        clients: INVENTORY_CLIENTS,
        setupMs,
        queries,
        walk: {
          entries: walked,
          ms: Math.round(performance.now() - begin),
          cpuMs: Math.round(cpuMs(process.cpuUsage(cpu))),
        },
      };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The report's inventory lines: each query's median against the target. */
export function inventoryLines(result: InventoryResult | undefined): string[] {
  if (result === undefined) return [];
  const width = Math.max(...result.queries.map((query) => query.name.length));
  return [
    '',
    `inventory (issue #14): ${result.clients.toLocaleString('en')} clients in SQLite (seeded in ${result.setupMs} ms); ` +
      `first page of 100, median wall (CPU) time; target ≤ ${INVENTORY_TARGET_MS} ms wall`,
    ...result.queries.map(
      (query) =>
        `  ${query.name.padEnd(width)}  ${String(query.medianMs).padStart(7)} ms (${String(query.medianCpuMs).padStart(6)} ms CPU)  ` +
        `${String(query.entries).padStart(3)} entries  ${query.medianMs <= INVENTORY_TARGET_MS ? 'met' : 'MISSED'}`,
    ),
    `  every client, page by page (1,000 a page): ${result.walk.entries.toLocaleString('en')} entries in ` +
      `${result.walk.ms} ms (${result.walk.cpuMs} ms CPU)`,
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}
