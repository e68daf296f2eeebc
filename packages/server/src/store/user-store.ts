export interface UserRecord {
  id: string;
  /** Unique, compared exactly (callers normalise case before storing if they want to). */
  username: string;
  /** scrypt hash in the PHC-like format of ../users/password.ts. */
  passwordHash: string;
  createdAt: number;
  /** Set while the account is disabled: no login, and its grants, sessions and tokens stop working. */
  disabledAt?: number;
  /**
   * The account's fixed `sub` (an AT Protocol DID, for instance); unique among users. Absent: the
   * id is the subject (../users/subject.ts).
   */
  sub?: string;
  /**
   * Present (true) when the account may sign in to the admin console (issue #15, decision 0040);
   * absent for every other account.
   */
  admin?: true;
}

/** What `setSub` did: `taken` when another account already has that subject. */
export type SetSubOutcome = 'set' | 'unknown' | 'taken';

/**
 * Contract: usernames, ids and subjects are unique; `create` returns false (and changes nothing)
 * when the username, id or sub is taken, even when two instances create the same username at once.
 * `setSub` changes nothing when another user has the subject. The setters and `delete` return false
 * (or `unknown`) for a user that does not exist.
 */
export interface UserStore {
  create(user: UserRecord): Promise<boolean>;
  get(id: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  setPassword(id: string, passwordHash: string): Promise<boolean>;
  /** `disabledAt` undefined enables the account again. */
  setDisabled(id: string, disabledAt: number | undefined): Promise<boolean>;
  /** `sub` undefined returns the account to its id as subject. */
  setSub(id: string, sub: string | undefined): Promise<SetSubOutcome>;
  delete(id: string): Promise<boolean>;
  list(): Promise<UserRecord[]>;
  /**
   * Grants (true) or takes back (false) the admin role; false for a user that does not exist. One
   * column write: concurrent calls leave the last one's value, with nothing else of the user changed.
   */
  setAdmin(id: string, admin: boolean): Promise<boolean>;
  count(): Promise<number>;
}
