/**
 * One-time values: client assertion and DPoP jti, PKCE challenges (AT-7), revoked access-token
 * ids. Contract: `remember` is atomic: for one key, exactly one caller gets true until the entry
 * expires, across instances. `has` answers whether a live entry exists.
 */
export interface ReplayStore {
  remember(key: string, expiresAt: number, now: number): Promise<boolean>;
  has(key: string, now: number): Promise<boolean>;
}
