/**
 * Version 1 of the PostgreSQL schema (./migrations.ts): the whole schema as of the first PostgreSQL
 * release (SQLite's migrations 1-4). Shipped, so never edited: later changes are versions appended
 * there.
 */
export const INITIAL_POSTGRES_SCHEMA = `
  CREATE TABLE clients (
    client_id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL,
    metadata JSONB NOT NULL,
    secret_digest TEXT,
    secret_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    registration JSONB,
    registration_fingerprint TEXT,
    last_used_at BIGINT
  );
  CREATE INDEX clients_registration_fingerprint ON clients (registration_fingerprint, created_at DESC)
    WHERE registration_fingerprint IS NOT NULL;
  CREATE INDEX clients_reaping ON clients (kind, last_used_at, created_at);

  CREATE TABLE initial_access_tokens (
    digest TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    label TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    revoked_at BIGINT
  );

  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
  );

  CREATE TABLE signing_keys (
    kid TEXT COLLATE "C" PRIMARY KEY,
    alg TEXT NOT NULL,
    private_jwk JSONB NOT NULL,
    public_jwk JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
  );
  CREATE INDEX signing_keys_created_at ON signing_keys (created_at);

  CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX sessions_expires_at ON sessions (expires_at);

  CREATE TABLE authorization_requests (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    redirect_uri_sent BOOLEAN NOT NULL,
    state TEXT,
    scope JSONB NOT NULL,
    resources JSONB NOT NULL,
    code_challenge TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    prompt TEXT,
    max_age BIGINT,
    login_hint TEXT,
    browser_binding_digest TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX authorization_requests_expires_at ON authorization_requests (expires_at);

  CREATE TABLE authorization_codes (
    digest TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    redirect_uri_sent BOOLEAN NOT NULL,
    code_challenge TEXT NOT NULL,
    scope JSONB NOT NULL,
    resources JSONB NOT NULL,
    auth_time BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    redeemed_at BIGINT,
    family_id TEXT
  );
  CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

  CREATE TABLE grants (
    id TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope JSONB NOT NULL,
    resources JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revoked_at BIGINT
  );
  CREATE UNIQUE INDEX grants_installation ON grants (user_id, client_id, redirect_uri);
  CREATE INDEX grants_client_id ON grants (client_id);

  -- A row with created_at NULL is a tombstone: a revocation that arrived before the family was
  -- created. Creating the family fills the row in and keeps it revoked.
  CREATE TABLE token_families (
    id TEXT COLLATE "C" PRIMARY KEY,
    grant_id TEXT,
    client_id TEXT,
    user_id TEXT,
    scope JSONB,
    resources JSONB,
    auth_time BIGINT,
    created_at BIGINT,
    expires_at BIGINT,
    client_key_thumbprint TEXT,
    revoked_at BIGINT,
    revoked_reason TEXT,
    CHECK (created_at IS NOT NULL OR revoked_at IS NOT NULL)
  );
  CREATE INDEX token_families_client_id ON token_families (client_id);
  CREATE INDEX token_families_grant_id ON token_families (grant_id);

  CREATE TABLE refresh_tokens (
    digest TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  );
  CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
  CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

  CREATE TABLE replay (
    key TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX replay_expires_at ON replay (expires_at);

  CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    type TEXT NOT NULL,
    client_id TEXT,
    user_id TEXT,
    reason TEXT,
    detail JSONB
  );
  CREATE INDEX audit_events_at ON audit_events (at);
  CREATE INDEX audit_events_client_id ON audit_events (client_id, at);
  CREATE INDEX audit_events_user_id ON audit_events (user_id, at);
  CREATE INDEX audit_events_type ON audit_events (type, at);

  -- seq orders versions fetched in the same millisecond (SQLite uses its rowid for this).
  CREATE TABLE client_documents (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    client_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    body TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    headers JSONB NOT NULL,
    PRIMARY KEY (client_id, fetched_at, digest)
  );
  CREATE INDEX client_documents_latest ON client_documents (client_id, fetched_at DESC, seq DESC);
  `;
