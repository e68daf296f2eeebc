export interface UserRecord {
  id: string;
  /** Unique, compared exactly (callers normalise case before storing if they want to). */
  username: string;
  /** scrypt hash in the PHC-like format of ../users/password.ts. */
  passwordHash: string;
  createdAt: number;
  disabledAt?: number;
}

/**
 * Contract: usernames are unique; `create` returns false (and changes nothing) when the username or
 * id is taken, even when two instances create the same username at once.
 */
export interface UserStore {
  create(user: UserRecord): Promise<boolean>;
  get(id: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  setPassword(id: string, passwordHash: string): Promise<boolean>;
  list(): Promise<UserRecord[]>;
  count(): Promise<number>;
}
