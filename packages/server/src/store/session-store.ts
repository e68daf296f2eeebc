/** A browser login session. The cookie carries a random value; only its digest is stored. */
export interface SessionRecord {
  digest: string;
  userId: string;
  /** When the user last authenticated (OIDC auth_time, max_age). */
  authTime: number;
  expiresAt: number;
}

/** Contract: `get` returns nothing for an expired session (expiresAt <= now). */
export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  get(digest: string, now: number): Promise<SessionRecord | undefined>;
  delete(digest: string): Promise<void>;
}
