import type { ReplayWindow } from './record-rules.ts';
import type { RefreshTokenRecord } from './refresh-token-store.ts';
import type { TokenFamilyRecord } from './token-family-store.ts';

export interface AuthorizationCodeRecord {
  /** SHA-256 digest of the code. */
  digest: string;
  clientId: string;
  userId: string;
  grantId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  codeChallenge: string;
  scope: string[];
  resources: string[];
  authTime: number;
  issuedAt: number;
  expiresAt: number;
  /** RFC 9449 §10: redeemed only with a DPoP proof of this key (thumbprint). */
  dpopJkt?: string;
  /** Set once, by the one successful redemption (or the refused attempt that burnt the code). */
  redeemedAt?: number;
  /** The token family the redemption created; a second redemption revokes it (RFC 6749 §4.1.2). */
  familyId?: string;
}

export type RedeemResult =
  | { outcome: 'redeemed'; code: AuthorizationCodeRecord }
  | { outcome: 'reused'; code: AuthorizationCodeRecord }
  | { outcome: 'unknown' };

/** What one code exchange stores with the code's redemption, all in one transaction. */
export interface CodeExchange {
  /** The session the code starts; its id is recorded on the code. */
  family: TokenFamilyRecord;
  /** The family's first refresh token, when the client gets one. */
  refreshToken?: RefreshTokenRecord;
  now: number;
}

export type CodeReplayResult =
  | { outcome: 'replayed' }
  | { outcome: 'replay_refused' }
  | { outcome: 'reused' }
  | { outcome: 'unknown' };

/**
 * Contract: a code is redeemed at most once, ever, across instances.
 * - `exchange` is the redemption of a code whose checks passed, in ONE transaction (decision 0036):
 *   the code marked redeemed (`redeemedAt` = `now`, `familyId` = the family's id), the family stored
 *   (a revocation that came first, TokenFamilyStore.revoke, keeps it revoked), its first refresh
 *   token stored. All or nothing: when any part cannot be stored (a family id or token digest that
 *   is taken), it throws and the code stays unredeemed, nothing stored. An already redeemed code
 *   stores nothing: `reused`, with the record as the winner left it; unknown: `unknown`.
 * - `redeem` burns a code without a family (a refused attempt: it may not be retried with another
 *   verifier): `redeemed` when it was not redeemed, else `reused` as above, or `unknown`.
 * - Of any number of concurrent `exchange` and `redeem` calls for one digest, exactly one returns
 *   `redeemed`; every other call, then or later, `reused`. Expiry is the caller's check: neither
 *   looks at `expiresAt` (an expired code is still burnt by the attempt).
 * - `replay` counts a second presentation of a redeemed code (the client's retry of an exchange whose
 *   answer it did not get), as RefreshTokenStore.rotate counts one of a used token: within the grace
 *   of `redeemedAt` and under `reuseCount` → counted, `replayed`; within the grace otherwise →
 *   `replay_refused`; after it → `reused`; not redeemed or unknown → `unknown`. Of N concurrent
 *   replays, at most `reuseCount` are `replayed`.
 * - `get` returns the record as stored, redeemed or not, expired or not.
 * - `deleteByClient` removes the client's codes not yet redeemed (a later redemption finds nothing:
 *   `unknown`) and returns how many; redeemed ones stay, so a late reuse is still detected.
 */
export interface AuthorizationCodeStore {
  create(code: AuthorizationCodeRecord): Promise<void>;
  get(digest: string): Promise<AuthorizationCodeRecord | undefined>;
  exchange(digest: string, exchange: CodeExchange): Promise<RedeemResult>;
  redeem(digest: string, familyId: string, now: number): Promise<RedeemResult>;
  replay(digest: string, now: number, window: ReplayWindow): Promise<CodeReplayResult>;
  deleteByClient(clientId: string): Promise<number>;
}
