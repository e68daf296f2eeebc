/**
 * The storage seam of Gatehouse: one interface per aggregate, each with its concurrency contract
 * written on it. Every implementation (memory, SQLite, PostgreSQL) passes the same contract suite
 * (packages/server/test/store-contract.ts). Times are epoch milliseconds. Secrets are never stored:
 * tokens, codes, session ids and client secrets are kept as SHA-256 digests (see `digest()` in
 * ../crypto/digest.ts), so a leaked database holds nothing that can be presented.
 *
 * "Atomic" below means: across every instance sharing the store, not just within one process.
 */
import type { AdminTokenStore } from './admin-token-store.ts';
import type { AuditStore } from './audit-store.ts';
import type { AuthorizationCodeStore } from './authorization-code-store.ts';
import type { AuthorizationRequestStore } from './authorization-request-store.ts';
import type { ClientChangeFeed } from './client-change-feed.ts';
import type { ClientDocumentStore } from './client-document-store.ts';
import type { ClientInventoryStore } from './client-inventory-store.ts';
import type { ClientStore } from './client-store.ts';
import type { DocumentFetchStore } from './document-fetch-store.ts';
import type { DocumentFreshnessStore } from './document-freshness-store.ts';
import type { GovernanceStore } from './governance-store.ts';
import type { GrantStore } from './grant-store.ts';
import type { InitialAccessTokenStore } from './initial-access-token-store.ts';
import type { RefreshTokenStore } from './refresh-token-store.ts';
import type { ReplayStore } from './replay-store.ts';
import type { ServerSecretStore } from './server-secret-store.ts';
import type { SessionStore } from './session-store.ts';
import type { SigningKeyStore } from './signing-key-store.ts';
import type { TokenBucketStore } from './token-bucket-store.ts';
import type { TokenFamilyStore } from './token-family-store.ts';
import type { UserStore } from './user-store.ts';

export interface Store {
  readonly kind: string;
  readonly clients: ClientStore;
  readonly clientDocuments: ClientDocumentStore;
  /** Client removals and updates every instance applies to what it holds in memory. */
  readonly clientChanges: ClientChangeFeed;
  readonly initialAccessTokens: InitialAccessTokenStore;
  readonly users: UserStore;
  readonly signingKeys: SigningKeyStore;
  readonly serverSecrets: ServerSecretStore;
  readonly sessions: SessionStore;
  readonly authorizationRequests: AuthorizationRequestStore;
  readonly authorizationCodes: AuthorizationCodeStore;
  readonly grants: GrantStore;
  readonly tokenFamilies: TokenFamilyStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly replay: ReplayStore;
  readonly audit: AuditStore;
  /** Stored governance rules, holds and access requests (issue #13). */
  readonly governance: GovernanceStore;
  /** Credentials of the admin HTTP API, as digests. */
  readonly adminTokens: AdminTokenStore;
  /** Every fetch of a client's metadata document and its outcome (issue #14): history and drift. */
  readonly documentFetches: DocumentFetchStore;
  /** Evictions and stale-if-error marks of Client ID Metadata Documents (issue #14, item 5). */
  readonly documentFreshness: DocumentFreshnessStore;
  /** The client inventory's fields, activity and queries (issue #14). */
  readonly inventory: ClientInventoryStore;
  /** Token buckets shared by every instance: the login throttle's (decision 0030). */
  readonly tokenBuckets: TokenBucketStore;
  /**
   * Deletes rows whose expiry is before `now` (codes, requests, sessions, refresh tokens, replay,
   * token buckets full again) and client changes older than CLIENT_CHANGE_RETENTION_MS, oldest
   * first, at most `batch` rows (default EXPIRED_PURGE_BATCH) at a time, other work served between
   * batches: however many rows expired, no request waits for the whole purge.
   */
  purgeExpired(now: number, batch?: number): Promise<void>;
  close(): Promise<void>;
  /**
   * The time every instance on this store agrees on, in epoch milliseconds, when the store has one
   * (PostgreSQL: the database server's clock; decision 0036). A server given no `clock` uses it, so
   * that exactly-once decisions (the refresh grace, code and pushed-request expiry) made on
   * different instances compare times of one clock. Absent: the process clock is the only one.
   */
  readonly clock?: () => number;
}

export type {
  AdminTokenRecord,
  AdminTokenScope,
  AdminTokenStore,
} from './admin-token-store.ts';
export type { AuditEvent, AuditFilter, AuditPage, AuditPosition, AuditStore } from './audit-store.ts';
export type {
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  CodeExchange,
  CodeReplayResult,
  RedeemResult,
} from './authorization-code-store.ts';
export type { AuthorizationRequestRecord, AuthorizationRequestStore } from './authorization-request-store.ts';
export type { ClientChange, ClientChangeFeed, ClientChangeKind } from './client-change-feed.ts';
export type {
  ClientDocumentStore,
  ClientDocumentVersion,
  RecordDocumentResult,
} from './client-document-store.ts';
export type {
  ActivityKind,
  ClientActivity,
  ClientIndexTerm,
  ClientInventoryStore,
  Connection,
  InventoryCandidates,
  InventoryCursor,
  InventoryQuery,
  InventoryRow,
  InventorySort,
  OperatorFields,
  ReachFigures,
  ReachSelection,
} from './client-inventory-store.ts';
export type { ClientKind, ClientRecord, ClientRegistration, ClientStore } from './client-store.ts';
export type {
  DocumentFetch,
  DocumentFetchOutcome,
  DocumentFetchRetention,
  DocumentFetchStore,
  FetchCertificate,
  RecordedDocumentFetch,
} from './document-fetch-store.ts';
export type {
  DocumentFreshness,
  DocumentFreshnessStore,
  DocumentStaleness,
} from './document-freshness-store.ts';
export type {
  AccessRequest,
  ClientHold,
  GovernanceStore,
  StoredRule,
} from './governance-store.ts';
export type { GrantRecord, GrantStore, GrantUpsert } from './grant-store.ts';
export type { InitialAccessTokenRecord, InitialAccessTokenStore } from './initial-access-token-store.ts';
export type { ReplayWindow } from './record-rules.ts';
export type { RefreshTokenRecord, RefreshTokenStore, RotateResult } from './refresh-token-store.ts';
export type { ReplayStore } from './replay-store.ts';
export type { ServerSecretStore } from './server-secret-store.ts';
export type { SessionRecord, SessionStore } from './session-store.ts';
export type { SigningKeyRecord, SigningKeyStore } from './signing-key-store.ts';
export type { TakeResult, TokenBucket, TokenBucketStore } from './token-bucket-store.ts';
export type { TokenFamilyRecord, TokenFamilyStore } from './token-family-store.ts';
export type { SetSubOutcome, UserRecord, UserStore } from './user-store.ts';
