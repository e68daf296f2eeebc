import type {
  AccessRequest,
  AdminTokenRecord,
  AuditEvent,
  AuthorizationCodeRecord,
  AuthorizationRequestRecord,
  ClientActivity,
  ClientChange,
  ClientDocumentVersion,
  ClientHold,
  ClientRecord,
  DocumentFreshness,
  GrantRecord,
  InitialAccessTokenRecord,
  OperatorFields,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  StoredRule,
  TokenFamilyRecord,
  UserRecord,
} from '../store.ts';
import type { StoredBucket } from '../token-bucket-rules.ts';

/** Everything the memory store holds; the aggregates that reach across (grants → families) share it. */
export interface MemoryState {
  clients: Map<string, ClientRecord>;
  initialAccessTokens: Map<string, InitialAccessTokenRecord>; // by digest
  users: Map<string, UserRecord>;
  userIdsByName: Map<string, string>;
  signingKeys: Map<string, SigningKeyRecord>;
  secrets: Map<string, string>;
  sessions: Map<string, SessionRecord>;
  requests: Map<string, AuthorizationRequestRecord>;
  codes: Map<string, AuthorizationCodeRecord>;
  grants: Map<string, GrantRecord>;
  grantIdsByKey: Map<string, string>;
  families: Map<string, TokenFamilyRecord>;
  /** Revocations that arrived before their family was created (see TokenFamilyStore.revoke). */
  familyTombstones: Map<string, { revokedAt: number; revokedReason: string }>;
  refreshTokens: Map<string, RefreshTokenRecord>;
  replay: Map<string, number>;
  clientDocuments: Map<string, ClientDocumentVersion[]>; // newest last
  clientChanges: ClientChange[]; // ascending sequence
  /** In append order, each with its sequence number (the SQL stores' row id). */
  audit: { seq: number; event: AuditEvent }[];
  /** The last sequence number given; never reused, even after a purge (like AUTOINCREMENT). */
  auditSeq: number;
  governance: {
    rules: Map<string, StoredRule>; // by selector
    holds: Map<string, ClientHold>; // by client_id
    accessRequests: Map<string, AccessRequest>; // by [client_id, user_id]
  };
  adminTokens: Map<string, AdminTokenRecord>; // by digest
  documentFreshness: Map<string, DocumentFreshness>; // by client_id
  /** Per used refresh token (by digest): its one successor and the replays answered (decision 0036). */
  rotations: Map<string, { successorDigest: string; replays: number }>;
  /** Per redeemed code (by digest): the replays answered (decision 0036). */
  codeReplays: Map<string, number>;
  inventory: {
    operatorFields: Map<string, OperatorFields>; // by client_id
    activity: Map<string, ClientActivity>; // by client_id
  };
  tokenBuckets: Map<string, StoredBucket>; // by key
  /** The tokens a client holds for itself revoked until `until` (TokenFamilyStore.revokeClientTokens). */
  clientTokenRevocations: Map<string, { until: number; expiresAt: number }>; // by client_id
}

export function createMemoryState(): MemoryState {
  return {
    clients: new Map(),
    initialAccessTokens: new Map(),
    users: new Map(),
    userIdsByName: new Map(),
    signingKeys: new Map(),
    secrets: new Map(),
    sessions: new Map(),
    requests: new Map(),
    codes: new Map(),
    grants: new Map(),
    grantIdsByKey: new Map(),
    families: new Map(),
    familyTombstones: new Map(),
    refreshTokens: new Map(),
    replay: new Map(),
    clientDocuments: new Map(),
    clientChanges: [],
    audit: [],
    auditSeq: 0,
    governance: { rules: new Map(), holds: new Map(), accessRequests: new Map() },
    adminTokens: new Map(),
    documentFreshness: new Map(),
    rotations: new Map(),
    codeReplays: new Map(),
    inventory: { operatorFields: new Map(), activity: new Map() },
    tokenBuckets: new Map(),
    clientTokenRevocations: new Map(),
  };
}

/** Revokes a live family (first revocation wins); returns whether this call revoked it. */
export function revokeFamily(family: TokenFamilyRecord, reason: string, now: number): boolean {
  if (family.revokedAt !== undefined) return false;
  family.revokedAt = now;
  family.revokedReason = reason;
  return true;
}

/** Deletes the entries that match and returns how many. */
export function deleteWhere<T>(map: Map<string, T>, matches: (record: T) => boolean): number {
  let deleted = 0;
  for (const [key, record] of map) {
    if (matches(record)) {
      map.delete(key);
      deleted++;
    }
  }
  return deleted;
}

/** Inserts a record under a key that must be new: keys are random digests, so a clash is a bug. */
export function insertNew<T>(map: Map<string, T>, key: string, record: T, what: string): void {
  if (map.has(key)) throw new Error(`${what} already exists`);
  map.set(key, copy(record));
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function copy<T>(value: T): T {
  return structuredClone(value);
}

export function copyOf<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}
