import type { DatabaseSync } from 'node:sqlite';
import { INITIAL_SQLITE_SCHEMA } from './initial-schema.ts';

/**
 * The SQLite schema, as an ordered list of migrations. Migration N (1-based) brings the database
 * to `PRAGMA user_version = N`. Append new migrations; never edit one that has shipped.
 *
 * Conventions: times are epoch milliseconds in INTEGER columns; arrays and objects (scope,
 * resources, metadata, JWKs, audit detail) are JSON text; booleans are 0/1. There are no foreign
 * keys between aggregates on purpose: users may come from the embedding application rather than
 * the users table, and a token family may be revoked before it exists (a tombstone row), so every
 * implementation of the store contract keeps the same, reference-free, behaviour.
 */
export const sqliteMigrations: readonly string[] = [
  INITIAL_SQLITE_SCHEMA,
  // 2: the history of fetched Client ID Metadata Documents (CIMD-FETCH-2, CIMD-CHG-1).
  `
  CREATE TABLE client_documents (
    client_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    body TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    headers TEXT NOT NULL,
    PRIMARY KEY (client_id, fetched_at, digest)
  ) STRICT;
  CREATE INDEX client_documents_latest ON client_documents (client_id, fetched_at DESC);
  `,
  // 3: the key a confidential client's token family is bound to (AT-9, CIMD-CHG-3). NULL for
  // families of public and secret clients, and for families created before this migration.
  `
  ALTER TABLE token_families ADD COLUMN client_key_thumbprint TEXT;
  `,
  // 4: dynamic registrations (RFC 7591/7592) and initial access tokens.
  `
  ALTER TABLE clients ADD COLUMN registration TEXT;
  ALTER TABLE clients ADD COLUMN registration_fingerprint TEXT;
  ALTER TABLE clients ADD COLUMN last_used_at INTEGER;
  CREATE INDEX clients_registration_fingerprint ON clients (registration_fingerprint, created_at DESC)
    WHERE registration_fingerprint IS NOT NULL;
  CREATE INDEX clients_reaping ON clients (kind, last_used_at, created_at);
  CREATE TABLE initial_access_tokens (
    digest TEXT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    label TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER
  ) STRICT;
  `,
  // 5: the scope limit of an initial access token (issue #4, docs/dcr.md). NULL = no limit, which
  // is what every token issued before this migration had.
  `
  ALTER TABLE initial_access_tokens ADD COLUMN scope TEXT;
  `,
  // 6: DPoP key binding (RFC 9449 §5, §10; docs/dpop.md): the dpop_jkt of a pending or pushed
  // request and of its code, and the key a public client's token family is bound to. NULL = unbound,
  // as for everything written before this migration.
  `
  ALTER TABLE authorization_requests ADD COLUMN dpop_jkt TEXT;
  ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
  ALTER TABLE token_families ADD COLUMN dpop_jkt TEXT;
  `,
  // 7: the client lifecycle (issue #12). client_changes is the feed every instance polls to evict
  // removed or changed clients (../client-change-feed.ts); AUTOINCREMENT, so a sequence is never
  // reused even after the newest rows were deleted. audit_events.actor says who caused an event;
  // its index is partial because most events (every token issued) have none, and those inserts on
  // the request path then do not touch it.
  `
  CREATE TABLE client_changes (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX client_changes_at ON client_changes (at);
  ALTER TABLE audit_events ADD COLUMN actor TEXT;
  CREATE INDEX audit_events_actor ON audit_events (actor, at) WHERE actor IS NOT NULL;
  `,
  // 8: a fixed subject per account (issue #16): the `sub` of its tokens, e.g. an AT Protocol DID.
  // NULL = the user id is the subject, as for every account created before this migration. Unique,
  // because two accounts with one subject would be one identity to every relying party.
  `
  ALTER TABLE users ADD COLUMN sub TEXT;
  CREATE UNIQUE INDEX users_sub ON users (sub) WHERE sub IS NOT NULL;
  `,
  // 9: governance and the admin API (issue #13). Stored rules (state and tier NULL = the rule does
  // not set them), holds the server put on clients, access requests (listed newest first, hence
  // the last_at index; filtered and cleared by client through the primary key), and admin API
  // tokens as digests. Nothing here is purged: an expired admin token stays listed, as expired.
  `
  CREATE TABLE governance_rules (
    selector TEXT PRIMARY KEY NOT NULL,
    state TEXT,
    tier TEXT,
    owner TEXT,
    note TEXT,
    updated_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE client_holds (
    client_id TEXT PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE access_requests (
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    client_name TEXT,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    PRIMARY KEY (client_id, user_id)
  ) STRICT;
  CREATE INDEX access_requests_last_at ON access_requests (last_at);

  CREATE TABLE admin_tokens (
    digest TEXT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    label TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
  ) STRICT;
  `,
  // 10: the fetch log of client metadata documents (issue #14, ../document-fetch-store.ts): one row
  // per fetch, listed per client newest first (the (client_id, id) index) and purged by age (the at
  // index); document_hosts keeps when each host first served an accepted document, past any purge.
  `
  CREATE TABLE document_fetches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL,
    host TEXT NOT NULL,
    at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    status INTEGER,
    digest TEXT,
    body TEXT,
    headers TEXT,
    remote_address TEXT,
    tls TEXT
  ) STRICT;
  CREATE INDEX document_fetches_client ON document_fetches (client_id, id);
  CREATE INDEX document_fetches_at ON document_fetches (at);
  CREATE TABLE document_hosts (
    host TEXT PRIMARY KEY NOT NULL,
    first_seen_at INTEGER NOT NULL
  ) STRICT;
  `,
  // 11: document freshness (issue #14, item 5; decision 0035): an operator's eviction and a
  // stale-if-error mark per document client (NULL = none), and the index the background
  // revalidation lists used document clients by.
  `
  CREATE TABLE client_document_freshness (
    client_id TEXT PRIMARY KEY NOT NULL,
    evicted_at INTEGER,
    stale_digest TEXT,
    stale_since INTEGER,
    stale_until INTEGER,
    stale_reason TEXT
  ) STRICT;
  CREATE INDEX clients_kind_last_used_at ON clients (kind, last_used_at);
  `,
  // 12: exactly-once exchanges (issue #18, decision 0036). A used refresh token records its one
  // successor and how many times a second presentation was answered with it; a redeemed code counts
  // the retries it answered the same way.
  `
  ALTER TABLE refresh_tokens ADD COLUMN successor_digest TEXT;
  ALTER TABLE refresh_tokens ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE authorization_codes ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;
  `,
  // 13: the client inventory (issue #14, ../client-inventory-store.ts). client_index holds what the
  // inventory filters on, written with each client record (../client-index-terms.ts) so that a
  // filter never parses a metadata document: a lookup by (term, value), a deletion by client_id.
  // The triggers note every client inserted, changed or deleted in client_index_pending, which the
  // code that writes the terms empties in the same transaction: what is left there (the records of
  // before this migration, or of a writer that does not index) is indexed by the next inventory
  // query. (NOT EXISTS, not OR IGNORE: an upsert's conflict policy overrides the one in a trigger.)
  // Operator fields and activity are keyed by client_id; the activity's last_seen_at is what "idle
  // for" and "seen since" filter on. Nothing here is purged.
  `
  CREATE TABLE client_index (
    term TEXT NOT NULL,
    value TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (term, value, client_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX client_index_client_id ON client_index (client_id);

  CREATE TABLE client_index_pending (
    client_id TEXT PRIMARY KEY NOT NULL
  ) STRICT, WITHOUT ROWID;
  INSERT INTO client_index_pending (client_id) SELECT client_id FROM clients;
  CREATE TRIGGER clients_index_inserted AFTER INSERT ON clients BEGIN
    INSERT INTO client_index_pending (client_id) SELECT NEW.client_id
      WHERE NOT EXISTS (SELECT 1 FROM client_index_pending WHERE client_id = NEW.client_id);
  END;
  CREATE TRIGGER clients_index_updated AFTER UPDATE OF client_id, kind, metadata ON clients BEGIN
    INSERT INTO client_index_pending (client_id) SELECT OLD.client_id
      WHERE NOT EXISTS (SELECT 1 FROM client_index_pending WHERE client_id = OLD.client_id);
    INSERT INTO client_index_pending (client_id) SELECT NEW.client_id
      WHERE NOT EXISTS (SELECT 1 FROM client_index_pending WHERE client_id = NEW.client_id);
  END;
  CREATE TRIGGER clients_index_deleted AFTER DELETE ON clients BEGIN
    INSERT INTO client_index_pending (client_id) SELECT OLD.client_id
      WHERE NOT EXISTS (SELECT 1 FROM client_index_pending WHERE client_id = OLD.client_id);
  END;

  CREATE TABLE client_operator_fields (
    client_id TEXT PRIMARY KEY NOT NULL,
    owner TEXT,
    team TEXT,
    contact TEXT,
    labels TEXT NOT NULL,
    note TEXT,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX client_operator_fields_owner ON client_operator_fields (owner) WHERE owner IS NOT NULL;

  CREATE TABLE client_activity (
    client_id TEXT PRIMARY KEY NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    last_authorization_at INTEGER,
    last_token_at INTEGER,
    last_refresh_at INTEGER
  ) STRICT;
  CREATE INDEX client_activity_last_seen_at ON client_activity (last_seen_at);
  `,
  // The admin role of a local account (issue #15, decision 0040): who may sign in to the console.
  `
  ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
  `,
  // 15: token buckets shared by every instance (decision 0030, ../token-bucket-store.ts): the login
  // throttle's. tokens is fractional (a continuous refill); expires_at is when the bucket is full
  // again, after which purgeExpired deletes the row (the index it deletes by).
  `
  CREATE TABLE token_buckets (
    key TEXT PRIMARY KEY NOT NULL,
    tokens REAL NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX token_buckets_expires_at ON token_buckets (expires_at);
  `,
  // 16: the installation registrations of a shared (recognised) registration (issue #17 item 2,
  // decision 0046): the shared record's client_id, so "its installations" is one indexed read.
  `
  ALTER TABLE clients ADD COLUMN shared_registration TEXT;
  CREATE INDEX clients_shared_registration ON clients (shared_registration, client_id)
    WHERE shared_registration IS NOT NULL;
  `,
  // 17: no query reads refresh tokens by family (a family is revoked on its own row), yet every
  // rotation paid for this index: one more random leaf page per commit (issue #18 finding 11).
  `
  DROP INDEX IF EXISTS refresh_tokens_family_id;
  `,
  // 18: "revoke all" reaches the tokens a client holds for itself (client_credentials, a workload's
  // exchange), which have no family: those issued until \`revoked_until\` are no longer active.
  // A row is kept as long as such a token can live (token-family-store.ts).
  `
  CREATE TABLE client_token_revocations (
    client_id TEXT PRIMARY KEY NOT NULL,
    revoked_until INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  `,
];

/**
 * Brings the database up to the newest schema and returns its version. Safe to call on every open
 * and from several processes at once: the version is read and the migrations applied inside one
 * `BEGIN IMMEDIATE` transaction, so exactly one process applies each migration and the others see
 * it done. A database newer than this code is refused rather than used with a schema it does not know.
 */
export function migrateSqlite(db: DatabaseSync): number {
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = userVersion(db);
    if (current > sqliteMigrations.length) {
      throw new Error(
        `the database schema is version ${current}, newer than this Gatehouse knows (${sqliteMigrations.length})`,
      );
    }
    for (let version = current + 1; version <= sqliteMigrations.length; version++) {
      db.exec(sqliteMigrations[version - 1]!);
      // user_version lives in the database header, so it commits or rolls back with the schema.
      db.exec(`PRAGMA user_version = ${version}`);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
  return sqliteMigrations.length;
}

export function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get();
  return Number(row?.user_version ?? 0);
}
