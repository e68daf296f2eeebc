import type { ReplayWindow } from './record-rules.ts';

export interface RefreshTokenRecord {
  /** The store key: the SHA-256 digest of the token, behind its time for a rotated one (refreshTokenDigest). */
  digest: string;
  familyId: string;
  issuedAt: number;
  expiresAt: number;
  /** When it was exchanged for its successor. */
  usedAt?: number;
}

export type RotateResult =
  | { outcome: 'rotated'; presented: RefreshTokenRecord }
  /** `successorDigest`: the successor recorded at the first rotation, which the caller answers again. */
  | { outcome: 'replayed'; presented: RefreshTokenRecord; successorDigest: string }
  | { outcome: 'replay_refused'; presented: RefreshTokenRecord }
  | { outcome: 'reused'; presented: RefreshTokenRecord }
  | { outcome: 'unknown' };

/**
 * Refresh tokens rotate on every use (OAuth 2.1 §4.3.1, MCP-11), and a token has at most one
 * successor, ever (decision 0036): `next` is the caller's successor for the presented token, the
 * same one each time it is presented (derived from it, tokens/refresh-token-derivation.ts), so a
 * second presentation can be answered with what the first one got, never with a second chain.
 * Contract of `rotate`, one transaction, atomic per presented digest across instances:
 * - unused → marks it used at `now`, records `next.digest` as its successor, stores `next`:
 *   `rotated`. All or nothing: when `next` cannot be stored (its digest taken), the presented token
 *   stays unused;
 * - used, and within the grace (`replayDecision`, record-rules.ts: used at or after
 *   `now - graceMs`, `graceMs > 0`), fewer than `reuseCount` replays counted so far, and `next` has
 *   the secret part of its recorded successor (`sameRefreshTokenSecret`: the two differ only in the
 *   time of issue, decision 0051) → counts one replay, stores nothing: `replayed`, with the recorded
 *   successor's key (the caller answers with that successor again: parallel refreshes, and the retry
 *   of a rotation whose answer was lost);
 * - used, within the grace, otherwise → stores nothing: `replay_refused` (the caller refuses and
 *   keeps the family);
 * - used before the grace, or at all when `graceMs` is 0 (strict: even in the same millisecond) →
 *   stores nothing: `reused` (the caller revokes the family);
 * - unknown digest → `unknown`.
 * Of N concurrent presentations of one unused token, exactly one is `rotated`, at most `reuseCount`
 * are `replayed`, the rest `replay_refused` (or `reused` without a grace). `presented` is the token as
 * the call left it. Expiry and family revocation are the caller's checks.
 */
export interface RefreshTokenStore {
  create(token: RefreshTokenRecord): Promise<void>;
  get(digest: string): Promise<RefreshTokenRecord | undefined>;
  rotate(
    presentedDigest: string,
    next: RefreshTokenRecord,
    now: number,
    window: ReplayWindow,
  ): Promise<RotateResult>;
}
