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
  /** Set once, by the one successful redemption. */
  redeemedAt?: number;
  /** The token family the redemption created; a second redemption revokes it (RFC 6749 §4.1.2). */
  familyId?: string;
}

export type RedeemResult =
  | { outcome: 'redeemed'; code: AuthorizationCodeRecord }
  | { outcome: 'reused'; code: AuthorizationCodeRecord }
  | { outcome: 'unknown' };

/**
 * Contract: a code is redeemed at most once, ever, across instances. Of any number of concurrent
 * `redeem` calls for one digest, exactly one returns `redeemed` (with `redeemedAt` and `familyId`
 * set to its arguments); every other call, then or later, returns `reused` with the record as the
 * winner left it, so the caller can revoke the winner's family. Expiry is the caller's check:
 * `redeem` does not look at `expiresAt` (an expired code is still burnt by the attempt).
 * `deleteByClient` removes the client's codes not yet redeemed (a later redemption finds nothing:
 * `unknown`) and returns how many; redeemed ones stay, so a late reuse is still detected.
 */
export interface AuthorizationCodeStore {
  create(code: AuthorizationCodeRecord): Promise<void>;
  redeem(digest: string, familyId: string, now: number): Promise<RedeemResult>;
  deleteByClient(clientId: string): Promise<number>;
}
