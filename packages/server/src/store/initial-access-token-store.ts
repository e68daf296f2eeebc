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
  /**
   * Space-separated scope values (RFC 6749 §3.3) a client registered with this token may hold
   * (issue #4: "with scope/expiry/use-count limits"). Undefined means no limit beyond the server's.
   */
  scope?: string;
}

/**
 * Contract: `use` atomically counts one use of a live token (not revoked, not expired, uses below
 * maxUses) and returns the record after counting; otherwise it returns undefined and counts
 * nothing. Under any number of concurrent calls across instances, at most `maxUses` succeed.
 * `get` reads a token by digest, live or not, and counts nothing: registration reads the token's
 * limits (scope) to judge the request before spending a use on it (DCR-SEC-4). A token's limits
 * never change after `create`, so what `get` saw is what a later `use` counts against.
 */
export interface InitialAccessTokenStore {
  create(token: InitialAccessTokenRecord): Promise<void>;
  get(digest: string): Promise<InitialAccessTokenRecord | undefined>;
  use(digest: string, now: number): Promise<InitialAccessTokenRecord | undefined>;
  list(): Promise<InitialAccessTokenRecord[]>;
  revoke(id: string, now: number): Promise<boolean>;
}
