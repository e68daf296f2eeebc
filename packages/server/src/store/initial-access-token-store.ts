/**
 * Initial access tokens (RFC 7591 §3, DCR-EP-3): issued out of band by an operator, they allow
 * registrations when the registration policy asks for one. Stored as digests.
 */
export interface InitialAccessTokenRecord {
  id: string;
  digest: string;
  label?: string;
  createdAt: number;
  expiresAt?: number;
  /** How many registrations it may allow; undefined means no limit. */
  maxUses?: number;
  uses: number;
  revokedAt?: number;
}

/**
 * Contract: `use` atomically counts one use of a live token (not revoked, not expired, uses below
 * maxUses) and returns the record after counting; otherwise it returns undefined and counts
 * nothing. Under any number of concurrent calls across instances, at most `maxUses` succeed.
 */
export interface InitialAccessTokenStore {
  create(token: InitialAccessTokenRecord): Promise<void>;
  use(digest: string, now: number): Promise<InitialAccessTokenRecord | undefined>;
  list(): Promise<InitialAccessTokenRecord[]>;
  revoke(id: string, now: number): Promise<boolean>;
}
