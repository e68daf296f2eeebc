export interface RefreshTokenRecord {
  /** SHA-256 digest of the token. */
  digest: string;
  familyId: string;
  issuedAt: number;
  expiresAt: number;
  /** When it was exchanged for its successor. */
  usedAt?: number;
}

export type RotateResult =
  | { outcome: 'rotated'; presented: RefreshTokenRecord }
  | { outcome: 'rotated_in_grace'; presented: RefreshTokenRecord }
  | { outcome: 'reused'; presented: RefreshTokenRecord }
  | { outcome: 'unknown' };

/**
 * Refresh tokens rotate on every use (OAuth 2.1 §4.3.1, MCP-11). Contract of `rotate`, atomic per
 * presented digest across instances:
 * - unused → marks it used at `now`, stores `next`, returns `rotated`;
 * - used at or after `now - graceMs`, when `graceMs > 0` → stores `next` as a sibling, returns
 *   `rotated_in_grace`
 *   (MCP hosts really do refresh in parallel with one token; both callers get a working token);
 * - used before that, or at all when `graceMs` is 0 (strict: even a reuse in the same millisecond) →
 *   stores nothing, returns `reused` (the caller revokes the family);
 * - unknown digest → `unknown`.
 * Of N concurrent first uses, exactly one returns `rotated`. Expiry and family revocation are the
 * caller's checks.
 */
export interface RefreshTokenStore {
  create(token: RefreshTokenRecord): Promise<void>;
  get(digest: string): Promise<RefreshTokenRecord | undefined>;
  rotate(
    presentedDigest: string,
    next: RefreshTokenRecord,
    now: number,
    graceMs: number,
  ): Promise<RotateResult>;
}
