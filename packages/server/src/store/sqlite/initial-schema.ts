/**
 * Migration 1 of the SQLite schema (./migrations.ts): the tables of the first release. Shipped, so
 * never edited: later changes are migrations appended there.
 */
export const INITIAL_SQLITE_SCHEMA = `
  CREATE TABLE clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    metadata TEXT NOT NULL,
    secret_digest TEXT,
    secret_expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    disabled_at INTEGER
  ) STRICT;

  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    private_jwk TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
  ) STRICT;
  CREATE INDEX signing_keys_created_at ON signing_keys (created_at);

  CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE sessions (
    digest TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX sessions_expires_at ON sessions (expires_at);

  CREATE TABLE authorization_requests (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    redirect_uri_sent INTEGER NOT NULL,
    state TEXT,
    scope TEXT NOT NULL,
    resources TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    prompt TEXT,
    max_age INTEGER,
    login_hint TEXT,
    browser_binding_digest TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX authorization_requests_expires_at ON authorization_requests (expires_at);

  CREATE TABLE authorization_codes (
    digest TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    redirect_uri_sent INTEGER NOT NULL,
    code_challenge TEXT NOT NULL,
    scope TEXT NOT NULL,
    resources TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    redeemed_at INTEGER,
    family_id TEXT
  ) STRICT;
  CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

  CREATE TABLE grants (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    resources TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    revoked_at INTEGER
  ) STRICT;
  CREATE UNIQUE INDEX grants_installation ON grants (user_id, client_id, redirect_uri);
  CREATE INDEX grants_client_id ON grants (client_id);

  -- A row with created_at NULL is a tombstone: a revocation that arrived before the family was
  -- created. Creating the family fills the row in and keeps it revoked.
  CREATE TABLE token_families (
    id TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT,
    client_id TEXT,
    user_id TEXT,
    scope TEXT,
    resources TEXT,
    auth_time INTEGER,
    created_at INTEGER,
    expires_at INTEGER,
    revoked_at INTEGER,
    revoked_reason TEXT,
    CHECK (created_at IS NOT NULL OR revoked_at IS NOT NULL)
  ) STRICT;
  CREATE INDEX token_families_client_id ON token_families (client_id);
  CREATE INDEX token_families_grant_id ON token_families (grant_id);

  CREATE TABLE refresh_tokens (
    digest TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) STRICT;
  CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
  CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

  CREATE TABLE replay (
    key TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX replay_expires_at ON replay (expires_at);

  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    client_id TEXT,
    user_id TEXT,
    reason TEXT,
    detail TEXT
  ) STRICT;
  CREATE INDEX audit_events_at ON audit_events (at);
  CREATE INDEX audit_events_client_id ON audit_events (client_id, at);
  CREATE INDEX audit_events_user_id ON audit_events (user_id, at);
  CREATE INDEX audit_events_type ON audit_events (type, at);
  `;
