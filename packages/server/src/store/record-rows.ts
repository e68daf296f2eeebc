import type {
  AccessRequest,
  AdminTokenRecord,
  AuditEvent,
  AuthorizationCodeRecord,
  AuthorizationRequestRecord,
  ClientHold,
  ClientRecord,
  GrantRecord,
  InitialAccessTokenRecord,
  RefreshTokenRecord,
  SigningKeyRecord,
  StoredRule,
  TokenFamilyRecord,
  UserRecord,
} from './store.ts';

/**
 * The other direction of ./row-records.ts: the values a SQL store binds when it writes a record, in
 * the column order of its INSERT (the SQL text stays per dialect, see docs/decisions/0022). Both
 * drivers take JSON as text (SQLite TEXT; jsonb parses it) and NULL for an absent field; only
 * booleans differ (SQLite 0/1, PostgreSQL BOOLEAN), so each store says how it writes one.
 */
export function createRecordRows<B>(bool: (value: boolean) => B) {
  type Value = string | number | null | B;
  const json = (value: unknown): string => JSON.stringify(value);
  const optionalJson = (value: unknown): string | null => (value === undefined ? null : json(value));

  return {
    /** id, username, password_hash, created_at, disabled_at, sub, admin */
    userRow: (user: UserRecord): Value[] => [
      user.id,
      user.username,
      user.passwordHash,
      user.createdAt,
      user.disabledAt ?? null,
      user.sub ?? null,
      bool(user.admin === true),
    ],

    /** client_id, kind, metadata, secret_digest, secret_expires_at, created_at, updated_at, registration, registration_fingerprint, last_used_at, shared_registration */
    clientRow: (record: ClientRecord): Value[] => [
      record.clientId,
      record.kind,
      json(record.metadata),
      record.secretDigest ?? null,
      record.secretExpiresAt ?? null,
      record.createdAt,
      record.updatedAt,
      optionalJson(record.registration),
      record.registration?.fingerprint ?? null,
      record.lastUsedAt ?? null,
      record.registration?.sharedRegistration ?? null,
    ],

    /** digest, id, label, created_at, expires_at, max_uses, uses, revoked_at, scope */
    initialAccessTokenRow: (token: InitialAccessTokenRecord): Value[] => [
      token.digest,
      token.id,
      token.label ?? null,
      token.createdAt,
      token.expiresAt ?? null,
      token.maxUses ?? null,
      token.uses,
      token.revokedAt ?? null,
      token.scope ?? null,
    ],

    /** kid, alg, private_jwk, public_jwk, created_at, retired_at */
    signingKeyRow: (key: SigningKeyRecord): Value[] => [
      key.kid,
      key.alg,
      json(key.privateJwk),
      json(key.publicJwk),
      key.createdAt,
      key.retiredAt ?? null,
    ],

    /**
     * id, client_id, redirect_uri, redirect_uri_sent, state, scope, resources, code_challenge,
     * code_challenge_method, prompt, max_age, login_hint, browser_binding_digest, csrf_token,
     * created_at, expires_at, dpop_jkt
     */
    requestRow: (request: AuthorizationRequestRecord): Value[] => [
      request.id,
      request.clientId,
      request.redirectUri,
      bool(request.redirectUriSent),
      request.state ?? null,
      json(request.scope),
      json(request.resources),
      request.codeChallenge,
      request.codeChallengeMethod,
      request.prompt ?? null,
      request.maxAge ?? null,
      request.loginHint ?? null,
      request.browserBindingDigest,
      request.csrfToken,
      request.createdAt,
      request.expiresAt,
      request.dpopJkt ?? null,
    ],

    /**
     * digest, client_id, user_id, grant_id, redirect_uri, redirect_uri_sent, code_challenge, scope,
     * resources, auth_time, issued_at, expires_at, redeemed_at, family_id, dpop_jkt
     */
    codeRow: (code: AuthorizationCodeRecord): Value[] => [
      code.digest,
      code.clientId,
      code.userId,
      code.grantId,
      code.redirectUri,
      bool(code.redirectUriSent),
      code.codeChallenge,
      json(code.scope),
      json(code.resources),
      code.authTime,
      code.issuedAt,
      code.expiresAt,
      code.redeemedAt ?? null,
      code.familyId ?? null,
      code.dpopJkt ?? null,
    ],

    /** id, user_id, client_id, redirect_uri, scope, resources, created_at, updated_at */
    grantRow: (grant: Omit<GrantRecord, 'revokedAt'>): Value[] => [
      grant.id,
      grant.userId,
      grant.clientId,
      grant.redirectUri,
      json(grant.scope),
      json(grant.resources),
      grant.createdAt,
      grant.updatedAt,
    ],

    /**
     * id, grant_id, client_id, user_id, scope, resources, auth_time, created_at, expires_at,
     * client_key_thumbprint, revoked_at, revoked_reason, dpop_jkt
     */
    familyRow: (family: TokenFamilyRecord): Value[] => [
      family.id,
      family.grantId,
      family.clientId,
      family.userId,
      json(family.scope),
      json(family.resources),
      family.authTime,
      family.createdAt,
      family.expiresAt,
      family.clientKeyThumbprint ?? null,
      family.revokedAt ?? null,
      family.revokedReason ?? null,
      family.dpopJkt ?? null,
    ],

    /** digest, family_id, issued_at, expires_at, used_at */
    refreshTokenRow: (token: RefreshTokenRecord): Value[] => [
      token.digest,
      token.familyId,
      token.issuedAt,
      token.expiresAt,
      token.usedAt ?? null,
    ],

    /** at, type, client_id, user_id, reason, detail, actor */
    auditEventRow: (event: AuditEvent): Value[] => [
      event.at,
      event.type,
      event.clientId ?? null,
      event.userId ?? null,
      event.reason ?? null,
      optionalJson(event.detail),
      event.actor ?? null,
    ],

    /** selector, state, tier, owner, note, updated_by, created_at, updated_at */
    ruleRow: (rule: StoredRule): Value[] => [
      rule.selector,
      rule.state ?? null,
      rule.tier ?? null,
      rule.owner ?? null,
      rule.note ?? null,
      rule.updatedBy,
      rule.createdAt,
      rule.updatedAt,
    ],

    /** client_id, reason, at */
    holdRow: (hold: ClientHold): Value[] => [hold.clientId, hold.reason, hold.at],

    /** client_id, user_id, client_name, first_at, last_at, attempts */
    accessRequestRow: (request: AccessRequest): Value[] => [
      request.clientId,
      request.userId,
      request.clientName ?? null,
      request.firstAt,
      request.lastAt,
      request.attempts,
    ],

    /** digest, id, scope, label, created_by, created_at, expires_at, revoked_at */
    adminTokenRow: (token: AdminTokenRecord): Value[] => [
      token.digest,
      token.id,
      token.scope,
      token.label ?? null,
      token.createdBy,
      token.createdAt,
      token.expiresAt ?? null,
      token.revokedAt ?? null,
    ],
  };
}

/**
 * Tables with an `expires_at` that `Store.purgeExpired` cleans (constants: never caller input).
 * Initial access tokens and admin tokens have an expiry too but are kept: they are listed, as
 * expired, until an operator removes them.
 */
export const TABLES_WITH_EXPIRY: readonly string[] = [
  'sessions',
  'authorization_requests',
  'authorization_codes',
  'refresh_tokens',
  'replay',
  // Rows of token buckets full again, i.e. equal to no row (./token-bucket-store.ts).
  'token_buckets',
  // Kept only while a token they revoke can still be alive (./token-family-store.ts).
  'client_token_revocations',
];

/**
 * How many expired rows `Store.purgeExpired` deletes per statement. A busy server expires a
 * million pushed requests a minute; deleted in one statement they held SQLite's event loop for
 * seconds (every request waited; docs/deployment.md, "Expired rows") and a PostgreSQL table's rows
 * for as long. In batches, requests are served between them.
 */
export const EXPIRED_PURGE_BATCH = 1000;
