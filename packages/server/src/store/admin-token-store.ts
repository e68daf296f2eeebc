/**
 * Admin API tokens (issue #13): bearer credentials for the admin HTTP API, issued by
 * `gatehouse admin-tokens issue`. Stored as SHA-256 digests (a leaked database holds nothing that
 * can be presented); shown once at issue; expiring; revocable by id.
 */
export type AdminTokenScope = 'read' | 'write';

export interface AdminTokenRecord {
  /** Public id, shown by `admin-tokens list` and written as the actor `admin-token:<id>`. */
  id: string;
  digest: string;
  scope: AdminTokenScope;
  label?: string | undefined;
  /** Who issued it (`cli:<user>`). */
  createdBy: string;
  createdAt: number;
  /** Undefined: never expires. */
  expiresAt?: number | undefined;
  revokedAt?: number | undefined;
}

/**
 * Contract: `insert` adds a record whose id and digest are new. `findByDigest` returns it whatever
 * its state (the caller checks expiry and revocation, so it can say which). `list` is ordered by
 * createdAt, oldest first. `revoke` sets revokedAt once and returns whether this call did.
 */
export interface AdminTokenStore {
  insert(record: AdminTokenRecord): Promise<void>;
  findByDigest(digest: string): Promise<AdminTokenRecord | undefined>;
  list(): Promise<AdminTokenRecord[]>;
  revoke(id: string, now: number): Promise<boolean>;
}
