import type {
  AccessRequest,
  AdminTokenRecord,
  AdminTokenScope,
  AuditEvent,
  AuthorizationCodeRecord,
  AuthorizationRequestRecord,
  ClientChange,
  ClientChangeKind,
  ClientDocumentVersion,
  ClientHold,
  ClientKind,
  ClientRecord,
  ClientRegistration,
  GrantRecord,
  InitialAccessTokenRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  StoredRule,
  TokenFamilyRecord,
  UserRecord,
} from './store.ts';

/** One result row of a SQL store: column name to the value the driver returned. */
export type ColumnRow = Readonly<Record<string, unknown>>;

/**
 * How one database driver hands back a column's value. The SQL stores share their column names and
 * record shapes, not their value types: SQLite keeps JSON as TEXT, may return integers as bigint and
 * booleans as 0/1; PostgreSQL returns jsonb already parsed, BIGINT as a number (parsed per pool) and
 * BOOLEAN as a boolean. Each reader throws when the column does not hold what it expects. A NULL
 * column is `null`; the optional readers of `createRowRecords` turn it into an omitted property.
 */
export interface ColumnReader {
  text(row: ColumnRow, column: string): string;
  int(row: ColumnRow, column: string): number;
  json<T>(row: ColumnRow, column: string): T;
  bool(row: ColumnRow, column: string): boolean;
}

/** A `ColumnReader.text` for drivers that return TEXT columns as strings (SQLite and PostgreSQL both do). */
export function textColumn(row: ColumnRow, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`column ${column} is not text`);
  return value;
}

/** The row to record mappings of a SQL store, reading its columns with `read`. */
export function createRowRecords(read: ColumnReader) {
  const { text, int, bool } = read;
  const json = <T>(row: ColumnRow, column: string): T => read.json<T>(row, column);
  const optionalText = (row: ColumnRow, column: string): string | undefined =>
    row[column] === null ? undefined : text(row, column);
  const optionalInt = (row: ColumnRow, column: string): number | undefined =>
    row[column] === null ? undefined : int(row, column);
  const optionalJson = <T>(row: ColumnRow, column: string): T | undefined =>
    row[column] === null ? undefined : json<T>(row, column);

  return {
    clientFromRow(row: ColumnRow): ClientRecord {
      return {
        clientId: text(row, 'client_id'),
        kind: text(row, 'kind') as ClientKind,
        metadata: json(row, 'metadata'),
        ...optional('secretDigest', optionalText(row, 'secret_digest')),
        ...optional('secretExpiresAt', optionalInt(row, 'secret_expires_at')),
        createdAt: int(row, 'created_at'),
        updatedAt: int(row, 'updated_at'),
        ...optional('registration', optionalJson<ClientRegistration>(row, 'registration')),
        ...optional('lastUsedAt', optionalInt(row, 'last_used_at')),
      };
    },

    initialAccessTokenFromRow(row: ColumnRow): InitialAccessTokenRecord {
      return {
        id: text(row, 'id'),
        digest: text(row, 'digest'),
        ...optional('label', optionalText(row, 'label')),
        createdAt: int(row, 'created_at'),
        ...optional('expiresAt', optionalInt(row, 'expires_at')),
        ...optional('maxUses', optionalInt(row, 'max_uses')),
        uses: int(row, 'uses'),
        ...optional('revokedAt', optionalInt(row, 'revoked_at')),
        ...optional('scope', optionalText(row, 'scope')),
      };
    },

    clientDocumentFromRow(row: ColumnRow): ClientDocumentVersion {
      return {
        clientId: text(row, 'client_id'),
        digest: text(row, 'digest'),
        body: text(row, 'body'),
        fetchedAt: int(row, 'fetched_at'),
        lastSeenAt: int(row, 'last_seen_at'),
        headers: json(row, 'headers'),
      };
    },

    userFromRow(row: ColumnRow): UserRecord {
      return {
        id: text(row, 'id'),
        username: text(row, 'username'),
        passwordHash: text(row, 'password_hash'),
        createdAt: int(row, 'created_at'),
        ...optional('disabledAt', optionalInt(row, 'disabled_at')),
        ...optional('sub', optionalText(row, 'sub')),
        ...(bool(row, 'admin') ? { admin: true as const } : {}),
      };
    },

    signingKeyFromRow(row: ColumnRow): SigningKeyRecord {
      return {
        kid: text(row, 'kid'),
        alg: text(row, 'alg') as SigningKeyRecord['alg'],
        privateJwk: json(row, 'private_jwk'),
        publicJwk: json(row, 'public_jwk'),
        createdAt: int(row, 'created_at'),
        ...optional('retiredAt', optionalInt(row, 'retired_at')),
      };
    },

    sessionFromRow(row: ColumnRow): SessionRecord {
      return {
        digest: text(row, 'digest'),
        userId: text(row, 'user_id'),
        authTime: int(row, 'auth_time'),
        expiresAt: int(row, 'expires_at'),
      };
    },

    requestFromRow(row: ColumnRow): AuthorizationRequestRecord {
      return {
        id: text(row, 'id'),
        clientId: text(row, 'client_id'),
        redirectUri: text(row, 'redirect_uri'),
        redirectUriSent: bool(row, 'redirect_uri_sent'),
        ...optional('state', optionalText(row, 'state')),
        scope: json(row, 'scope'),
        resources: json(row, 'resources'),
        codeChallenge: text(row, 'code_challenge'),
        codeChallengeMethod: text(
          row,
          'code_challenge_method',
        ) as AuthorizationRequestRecord['codeChallengeMethod'],
        ...optional('prompt', optionalText(row, 'prompt')),
        ...optional('maxAge', optionalInt(row, 'max_age')),
        ...optional('loginHint', optionalText(row, 'login_hint')),
        ...optional('dpopJkt', optionalText(row, 'dpop_jkt')),
        browserBindingDigest: text(row, 'browser_binding_digest'),
        csrfToken: text(row, 'csrf_token'),
        createdAt: int(row, 'created_at'),
        expiresAt: int(row, 'expires_at'),
      };
    },

    codeFromRow(row: ColumnRow): AuthorizationCodeRecord {
      return {
        digest: text(row, 'digest'),
        clientId: text(row, 'client_id'),
        userId: text(row, 'user_id'),
        grantId: text(row, 'grant_id'),
        redirectUri: text(row, 'redirect_uri'),
        redirectUriSent: bool(row, 'redirect_uri_sent'),
        codeChallenge: text(row, 'code_challenge'),
        scope: json(row, 'scope'),
        resources: json(row, 'resources'),
        authTime: int(row, 'auth_time'),
        issuedAt: int(row, 'issued_at'),
        expiresAt: int(row, 'expires_at'),
        ...optional('dpopJkt', optionalText(row, 'dpop_jkt')),
        ...optional('redeemedAt', optionalInt(row, 'redeemed_at')),
        ...optional('familyId', optionalText(row, 'family_id')),
      };
    },

    grantFromRow(row: ColumnRow): GrantRecord {
      return {
        id: text(row, 'id'),
        userId: text(row, 'user_id'),
        clientId: text(row, 'client_id'),
        redirectUri: text(row, 'redirect_uri'),
        scope: json(row, 'scope'),
        resources: json(row, 'resources'),
        createdAt: int(row, 'created_at'),
        updatedAt: int(row, 'updated_at'),
        ...optional('revokedAt', optionalInt(row, 'revoked_at')),
      };
    },

    familyFromRow(row: ColumnRow): TokenFamilyRecord {
      return {
        id: text(row, 'id'),
        grantId: text(row, 'grant_id'),
        clientId: text(row, 'client_id'),
        userId: text(row, 'user_id'),
        scope: json(row, 'scope'),
        resources: json(row, 'resources'),
        authTime: int(row, 'auth_time'),
        createdAt: int(row, 'created_at'),
        expiresAt: int(row, 'expires_at'),
        ...optional('clientKeyThumbprint', optionalText(row, 'client_key_thumbprint')),
        ...optional('dpopJkt', optionalText(row, 'dpop_jkt')),
        ...optional('revokedAt', optionalInt(row, 'revoked_at')),
        ...optional('revokedReason', optionalText(row, 'revoked_reason')),
      };
    },

    refreshTokenFromRow(row: ColumnRow): RefreshTokenRecord {
      return {
        digest: text(row, 'digest'),
        familyId: text(row, 'family_id'),
        issuedAt: int(row, 'issued_at'),
        expiresAt: int(row, 'expires_at'),
        ...optional('usedAt', optionalInt(row, 'used_at')),
      };
    },

    clientChangeFromRow(row: ColumnRow): ClientChange {
      return {
        sequence: int(row, 'sequence'),
        clientId: text(row, 'client_id'),
        kind: text(row, 'kind') as ClientChangeKind,
        at: int(row, 'at'),
      };
    },

    auditEventFromRow(row: ColumnRow): AuditEvent {
      return {
        at: int(row, 'at'),
        type: text(row, 'type'),
        ...optional('clientId', optionalText(row, 'client_id')),
        ...optional('userId', optionalText(row, 'user_id')),
        ...optional('reason', optionalText(row, 'reason')),
        ...optional('actor', optionalText(row, 'actor')),
        ...optional('detail', optionalJson<Record<string, unknown>>(row, 'detail')),
      };
    },

    ruleFromRow(row: ColumnRow): StoredRule {
      return {
        selector: text(row, 'selector'),
        ...optional('state', optionalText(row, 'state') as StoredRule['state']),
        ...optional('tier', optionalText(row, 'tier') as StoredRule['tier']),
        ...optional('owner', optionalText(row, 'owner')),
        ...optional('note', optionalText(row, 'note')),
        updatedBy: text(row, 'updated_by'),
        createdAt: int(row, 'created_at'),
        updatedAt: int(row, 'updated_at'),
      };
    },

    holdFromRow(row: ColumnRow): ClientHold {
      return { clientId: text(row, 'client_id'), reason: text(row, 'reason'), at: int(row, 'at') };
    },

    accessRequestFromRow(row: ColumnRow): AccessRequest {
      return {
        clientId: text(row, 'client_id'),
        userId: text(row, 'user_id'),
        ...optional('clientName', optionalText(row, 'client_name')),
        firstAt: int(row, 'first_at'),
        lastAt: int(row, 'last_at'),
        attempts: int(row, 'attempts'),
      };
    },

    adminTokenFromRow(row: ColumnRow): AdminTokenRecord {
      return {
        id: text(row, 'id'),
        digest: text(row, 'digest'),
        scope: text(row, 'scope') as AdminTokenScope,
        ...optional('label', optionalText(row, 'label')),
        createdBy: text(row, 'created_by'),
        createdAt: int(row, 'created_at'),
        ...optional('expiresAt', optionalInt(row, 'expires_at')),
        ...optional('revokedAt', optionalInt(row, 'revoked_at')),
      };
    },
  };
}

/** `{ [key]: value }`, or `{}` when the column was NULL: optional properties are omitted, never undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
