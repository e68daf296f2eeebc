/**
 * The records the store contract suites (../store-contract*.ts) build their cases from, with the
 * same defaults everywhere: one place, so a new required member of a record is added once.
 */
import type {
  AuthorizationCodeRecord,
  AuthorizationRequestRecord,
  ClientRecord,
  GrantUpsert,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  TokenFamilyRecord,
  UserRecord,
} from '../../src/store/store.ts';

/** The contract suites' "now": explicit times around it, no clock. */
export const T = 1_750_000_000_000;
export const MINUTE = 60_000;
/** How many calls the contracts' concurrency cases fire at one store at once. */
export const CONCURRENCY = 50;

/** A live token family of user u1 for client c1 under grant g1, created at T, 30 days long. */
export function family(id: string, overrides: Partial<TokenFamilyRecord> = {}): TokenFamilyRecord {
  return {
    id,
    grantId: 'g1',
    clientId: 'c1',
    userId: 'u1',
    scope: ['read'],
    resources: ['https://api.example/'],
    authTime: T - MINUTE,
    createdAt: T,
    expiresAt: T + 30 * 24 * 60 * MINUTE,
    ...overrides,
  };
}

/** A refresh token of family-1, issued a minute before T, valid an hour after it. */
export function refreshToken(
  digest: string,
  overrides: Partial<RefreshTokenRecord> = {},
): RefreshTokenRecord {
  return { digest, familyId: 'family-1', issuedAt: T - MINUTE, expiresAt: T + 60 * MINUTE, ...overrides };
}

/** 0 … count − 1, for the concurrency cases. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

/** A static public client with one loopback redirect URI, created at T. */
export function client(clientId: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId,
    kind: 'static',
    metadata: {
      client_id: clientId,
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    createdAt: T,
    updatedAt: T,
    ...overrides,
  };
}

/** A user with a (fake) scrypt hash, created at T. */
export function user(id: string, username: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return { id, username, passwordHash: `scrypt$hash-of-${id}`, createdAt: T, ...overrides };
}

/** An ES256 signing key record (fake coordinates: the store never uses them). */
export function signingKey(kid: string, createdAt: number): SigningKeyRecord {
  const publicJwk = { kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, kid, alg: 'ES256', use: 'sig' };
  return { kid, alg: 'ES256', privateJwk: { ...publicJwk, d: `d-${kid}` }, publicJwk, createdAt };
}

/** A browser session of u1 that began a minute before T and ends a minute after it. */
export function session(digest: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { digest, userId: 'u1', authTime: T - MINUTE, expiresAt: T + MINUTE, ...overrides };
}

/** An authorization request of c1 (PKCE S256, browser-bound), live from a minute before T to a minute after. */
export function authorizationRequest(
  id: string,
  overrides: Partial<AuthorizationRequestRecord> = {},
): AuthorizationRequestRecord {
  return {
    id,
    clientId: 'c1',
    redirectUri: 'http://127.0.0.1/callback',
    redirectUriSent: true,
    scope: ['read', 'write'],
    resources: ['https://api.example/'],
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    browserBindingDigest: `binding-${id}`,
    csrfToken: `csrf-${id}`,
    createdAt: T - MINUTE,
    expiresAt: T + MINUTE,
    ...overrides,
  };
}

/** An authorization code of c1 for u1 under grant g1, issued a second before T, valid a minute after it. */
export function authorizationCode(
  digest: string,
  overrides: Partial<AuthorizationCodeRecord> = {},
): AuthorizationCodeRecord {
  return {
    digest,
    clientId: 'c1',
    userId: 'u1',
    grantId: 'g1',
    redirectUri: 'http://127.0.0.1/callback',
    redirectUriSent: false,
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    scope: ['read'],
    resources: ['https://api.example/'],
    authTime: T - MINUTE,
    issuedAt: T - 1000,
    expiresAt: T + MINUTE,
    ...overrides,
  };
}

/** A consent grant of u1 to c1 for one redirect URI, given at T. */
export function grantUpsert(id: string, overrides: Partial<GrantUpsert> = {}): GrantUpsert {
  return {
    id,
    userId: 'u1',
    clientId: 'c1',
    redirectUri: 'http://127.0.0.1/callback',
    scope: ['read'],
    resources: ['https://api.example/'],
    now: T,
    ...overrides,
  };
}

/** A sorted copy, for comparing sets the stores list in no particular order. */
export function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

/** A time as its offset from T ('' for T itself), for readable case names. */
export function offset(time: number): string {
  const delta = time - T;
  return delta === 0 ? '' : delta > 0 ? `+${delta}` : `${delta}`;
}
