import pg from 'pg';
import { INITIAL_POSTGRES_SCHEMA } from './initial-schema.ts';
import { withTransaction } from './transaction.ts';

/**
 * The PostgreSQL schema, as an ordered list of migrations. Migration N (1-based) is recorded as
 * version N in `gatehouse_schema_migrations`. Append new migrations; never edit one that has shipped.
 *
 * Same model as the SQLite schema (packages/server/src/store/sqlite/migrations.ts), in PostgreSQL
 * types: times are epoch milliseconds in BIGINT (read back as numbers, see ./types.ts); arrays and
 * objects are jsonb; booleans are BOOLEAN. No foreign keys between aggregates, for the same reasons
 * as there (users may live outside the users table; a token family may be a tombstone before it
 * exists). Ids that are listed in order or paged by (`client_id > $after`) use COLLATE "C", so the
 * order is byte order, as in SQLite, whatever locale the database was created with.
 *
 * Version 1 is the whole schema as of the first PostgreSQL release (SQLite's migrations 1-4); later
 * versions follow SQLite's one for one (version 2 = SQLite 5).
 */
export const postgresMigrations: readonly string[] = [
  INITIAL_POSTGRES_SCHEMA,
  // 2: the scope limit of an initial access token (SQLite migration 5; issue #4, docs/dcr.md).
  // NULL = no limit, as for every token issued before it.
  `
  ALTER TABLE initial_access_tokens ADD COLUMN scope TEXT;
  `,
  // 3: DPoP key binding (SQLite migration 6; RFC 9449 §5, §10; docs/dpop.md). NULL = unbound.
  `
  ALTER TABLE authorization_requests ADD COLUMN dpop_jkt TEXT;
  ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
  ALTER TABLE token_families ADD COLUMN dpop_jkt TEXT;
  `,
  // 4: the client lifecycle (SQLite migration 7; issue #12): the client change feed, and who caused
  // an audit event. The actor index is partial: most events (every token issued) have no actor,
  // and those inserts on the request path then do not touch it.
  `
  CREATE TABLE client_changes (
    sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL
  );
  CREATE INDEX client_changes_at ON client_changes (at);
  ALTER TABLE audit_events ADD COLUMN actor TEXT;
  CREATE INDEX audit_events_actor ON audit_events (actor, at) WHERE actor IS NOT NULL;
  `,
  // 5: a fixed subject per account (SQLite migration 8; issue #16). NULL = the user id is the subject.
  `
  ALTER TABLE users ADD COLUMN sub TEXT;
  CREATE UNIQUE INDEX users_sub ON users (sub) WHERE sub IS NOT NULL;
  `,
  // 6: governance and the admin API (SQLite migration 9; issue #13): stored rules, holds, access
  // requests (listed newest first, hence the last_at index), admin API tokens as digests. Nothing
  // here is purged: an expired admin token stays listed, as expired.
  `
  CREATE TABLE governance_rules (
    selector TEXT COLLATE "C" PRIMARY KEY,
    state TEXT,
    tier TEXT,
    owner TEXT,
    note TEXT,
    updated_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE client_holds (
    client_id TEXT COLLATE "C" PRIMARY KEY,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
  );

  CREATE TABLE access_requests (
    client_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    client_name TEXT,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    PRIMARY KEY (client_id, user_id)
  );
  CREATE INDEX access_requests_last_at ON access_requests (last_at);

  CREATE TABLE admin_tokens (
    digest TEXT PRIMARY KEY,
    id TEXT COLLATE "C" NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    label TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
  );
  `,
  // 7: the fetch log of client metadata documents (SQLite migration 10; issue #14): one row per
  // fetch, listed per client newest first and purged by age; document_hosts keeps when each host
  // first served an accepted document, past any purge.
  `
  CREATE TABLE document_fetches (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id TEXT COLLATE "C" NOT NULL,
    host TEXT COLLATE "C" NOT NULL,
    at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    status INTEGER,
    digest TEXT,
    body TEXT,
    headers JSONB,
    remote_address TEXT,
    tls JSONB
  );
  CREATE INDEX document_fetches_client ON document_fetches (client_id, id DESC);
  CREATE INDEX document_fetches_at ON document_fetches (at);
  CREATE TABLE document_hosts (
    host TEXT COLLATE "C" PRIMARY KEY,
    first_seen_at BIGINT NOT NULL
  );
  `,
  // 8: document freshness (SQLite migration 11; issue #14, item 5; decision 0035): an operator's
  // eviction and a stale-if-error mark per document client, and the index of used document clients.
  `
  CREATE TABLE client_document_freshness (
    client_id TEXT COLLATE "C" PRIMARY KEY,
    evicted_at BIGINT,
    stale_digest TEXT,
    stale_since BIGINT,
    stale_until BIGINT,
    stale_reason TEXT
  );
  CREATE INDEX clients_kind_last_used_at ON clients (kind, last_used_at);
  `,
  // 9: exactly-once exchanges (SQLite migration 12; issue #18, decision 0036): a used refresh
  // token's one successor and the second presentations answered with it; a redeemed code's
  // answered retries.
  `
  ALTER TABLE refresh_tokens ADD COLUMN successor_digest TEXT;
  ALTER TABLE refresh_tokens ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE authorization_codes ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;
  `,
  // 10: the client inventory (SQLite migration 13; issue #14): the index of what the inventory
  // filters on, written with each client record; the trigger notes every client inserted, changed
  // or deleted in client_index_pending, which the code that writes the terms empties in the same
  // transaction, so what is left there (records of before this migration, or of a writer that does
  // not index) is indexed by the next inventory query; operator fields; activity. Nothing here is
  // purged.
  `
  CREATE TABLE client_index (
    term TEXT NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (term, value, client_id)
  );
  CREATE INDEX client_index_client_id ON client_index (client_id);

  CREATE TABLE client_index_pending (
    client_id TEXT COLLATE "C" PRIMARY KEY
  );
  INSERT INTO client_index_pending (client_id) SELECT client_id FROM clients;
  -- SET search_path FROM CURRENT: the function finds this schema's table whoever writes the row.
  CREATE FUNCTION gatehouse_client_index_pending() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
  BEGIN
    IF TG_OP <> 'INSERT' THEN
      INSERT INTO client_index_pending (client_id) VALUES (OLD.client_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO client_index_pending (client_id) VALUES (NEW.client_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER clients_index_pending AFTER INSERT OR DELETE OR UPDATE OF client_id, kind, metadata
    ON clients FOR EACH ROW EXECUTE FUNCTION gatehouse_client_index_pending();

  CREATE TABLE client_operator_fields (
    client_id TEXT COLLATE "C" PRIMARY KEY,
    owner TEXT,
    team TEXT,
    contact TEXT,
    labels JSONB NOT NULL,
    note TEXT,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX client_operator_fields_owner ON client_operator_fields (owner) WHERE owner IS NOT NULL;

  CREATE TABLE client_activity (
    client_id TEXT COLLATE "C" PRIMARY KEY,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    last_authorization_at BIGINT,
    last_token_at BIGINT,
    last_refresh_at BIGINT
  );
  CREATE INDEX client_activity_last_seen_at ON client_activity (last_seen_at);
  `,
  // The admin role of a local account (issue #15, decision 0040): who may sign in to the console.
  `
  ALTER TABLE users ADD COLUMN admin BOOLEAN NOT NULL DEFAULT false;
  `,
  // 12: token buckets shared by every instance (SQLite migration 15; decision 0030): the login
  // throttle's. expires_at is when the bucket is full again; purgeExpired deletes by it.
  `
  CREATE TABLE token_buckets (
    key TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX token_buckets_expires_at ON token_buckets (expires_at);
  `,
  // 13: the installation registrations of a shared (recognised) registration (SQLite 16; issue #17 item 2,
  // decision 0046): the shared record's client_id, so "its installations" is one indexed read.
  `
  ALTER TABLE clients ADD COLUMN shared_registration TEXT;
  CREATE INDEX clients_shared_registration ON clients (shared_registration, client_id)
    WHERE shared_registration IS NOT NULL;
  `,
  // 14 (SQLite 17): no query reads refresh tokens by family, yet every rotation maintained this
  // index (issue #18 finding 11).
  `
  DROP INDEX IF EXISTS refresh_tokens_family_id;
  `,
  // 15 (SQLite 18): "revoke all" reaches the tokens a client holds for itself, which have no
  // family: those issued until revoked_until are no longer active (token-family-store.ts).
  `
  CREATE TABLE client_token_revocations (
    client_id TEXT PRIMARY KEY,
    revoked_until BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  `,
];

/**
 * Key of the transaction-level advisory lock every migration run takes (one constant for every
 * schema: migrations are rare and short, so serialising runs for different schemas costs nothing).
 */
const MIGRATION_LOCK = 0x6761_7465; // "gate"

export interface MigrateOptions {
  /** Schema to create (if missing) and migrate; without it, the first schema of the pool's search_path. */
  schema?: string;
}

/**
 * Brings the database up to the newest schema and returns its version. Safe to call on every open
 * and from many instances at once: the run holds `pg_advisory_xact_lock` from before it reads the
 * version until it commits, so exactly one instance applies each migration and the others, waiting
 * on the lock, find it done. DDL is transactional in PostgreSQL, so a failed migration leaves no
 * half-built schema behind. A database newer than this code is refused.
 *
 * The pool must be the one the store uses (its search_path names the schema, see openPostgresStore).
 */
export async function migratePostgres(pool: pg.Pool, options: MigrateOptions = {}): Promise<number> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    if (options.schema !== undefined) {
      // Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even
      // when the schema exists, which a least-privilege application role may lack.
      const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [options.schema]);
      if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(options.schema)}`);
    }
    await client.query(
      `CREATE TABLE IF NOT EXISTS gatehouse_schema_migrations (
         version INTEGER PRIMARY KEY,
         applied_at BIGINT NOT NULL
       )`,
    );
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0)::integer AS version FROM gatehouse_schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > postgresMigrations.length) {
      throw new Error(
        `the database schema is version ${current}, newer than this Gatehouse knows (${postgresMigrations.length})`,
      );
    }
    for (let version = current + 1; version <= postgresMigrations.length; version++) {
      // Simple query protocol (no parameters): one migration may hold many statements.
      await client.query(postgresMigrations[version - 1]!);
      await client.query('INSERT INTO gatehouse_schema_migrations (version, applied_at) VALUES ($1, $2)', [
        version,
        Date.now(),
      ]);
    }
    return postgresMigrations.length;
  });
}
