/**
 * A grant: what one user allowed one installation of one client. Installations of a shared client
 * (one CIMD client_id used on many machines) are told apart by redirect_uri, so the key is
 * (userId, clientId, redirectUri): re-consenting on one machine never touches another's grant.
 */
export interface GrantRecord {
  id: string;
  userId: string;
  clientId: string;
  /** The registered redirect URI the installation uses (for loopback: without the request's port). */
  redirectUri: string;
  scope: string[];
  resources: string[];
  createdAt: number;
  updatedAt: number;
  revokedAt?: number;
}

export interface GrantUpsert {
  id: string;
  userId: string;
  clientId: string;
  redirectUri: string;
  scope: string[];
  resources: string[];
  now: number;
}

/**
 * Contract:
 * - `upsert` is atomic per (userId, clientId, redirectUri): concurrent upserts never create two
 *   grants for one key. An existing live grant keeps its id and widens to the union of scopes and
 *   resources (step-up adds, it never narrows). A revoked grant is replaced in place: its id stays,
 *   `revokedAt` is cleared and scope/resources become exactly the new ones.
 * - `revoke` sets `revokedAt` (keeping the first one) and revokes every token family of the grant
 *   in the same transaction, so no refresh token of the grant works afterwards.
 * - `revokeByClient` does what `revoke` does for every live grant of a client, in one transaction,
 *   and returns how many grants it revoked (0 when none was live: idempotent).
 */
export interface GrantStore {
  upsert(grant: GrantUpsert): Promise<GrantRecord>;
  get(id: string): Promise<GrantRecord | undefined>;
  find(userId: string, clientId: string, redirectUri: string): Promise<GrantRecord | undefined>;
  listByUser(userId: string): Promise<GrantRecord[]>;
  listByClient(clientId: string): Promise<GrantRecord[]>;
  revoke(id: string, reason: string, now: number): Promise<void>;
  revokeByClient(clientId: string, reason: string, now: number): Promise<number>;
}
