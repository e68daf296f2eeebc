/**
 * A token family: every access and refresh token descended from one authorization code
 * redemption. Access tokens carry the family id in their `jti` (see ../tokens/access-token.ts),
 * so revoking a family reaches its JWT access tokens at introspection, and its refresh tokens.
 */
export interface TokenFamilyRecord {
  id: string;
  grantId: string;
  clientId: string;
  userId: string;
  scope: string[];
  resources: string[];
  authTime: number;
  createdAt: number;
  /** Absolute end of the family: no refresh extends it. */
  expiresAt: number;
  /**
   * RFC 7638 SHA-256 thumbprint of the key a private_key_jwt client authenticated with when the code
   * was redeemed: the family may only be refreshed by that key (AT-9, CIMD-CHG-3, decision 0008).
   * Absent for families of clients that authenticated otherwise (public, client secret).
   */
  clientKeyThumbprint?: string;
  /**
   * RFC 9449 §5: the thumbprint of the DPoP key a public client redeemed the code with; every
   * refresh needs a proof of that key. Absent for confidential clients and non-DPoP families.
   */
  dpopJkt?: string;
  revokedAt?: number;
  revokedReason?: string;
}

/**
 * Contract:
 * - `revoke` is idempotent (first revokedAt and reason win) and works even before `create`: it then
 *   leaves a tombstone, and a later `create` for that id keeps the family revoked. This closes the
 *   race where a reused code is detected before the winning redemption wrote its family.
 * - `revokeByClient` revokes every live family of a client and returns how many it revoked.
 * - `revokeClientTokens` ends the tokens a client holds for itself (client_credentials, a workload's
 *   exchange: tokens/client-token.ts), which have no family: every one issued until `until` is no
 *   longer active. The mark only moves forward, and is kept until `expiresAt` (the longest such a
 *   token can live); `clientTokensRevokedUntil` answers it while it is kept, across instances.
 * - `listByGrant` returns the families of one grant, revoked ones too (never tombstones), ordered by
 *   createdAt then id: what an installation of the grant holds (grants/installation.ts). A read,
 *   consistent per statement.
 */
export interface TokenFamilyStore {
  create(family: TokenFamilyRecord): Promise<void>;
  get(id: string): Promise<TokenFamilyRecord | undefined>;
  revoke(id: string, reason: string, now: number): Promise<void>;
  revokeByClient(clientId: string, reason: string, now: number): Promise<number>;
  revokeClientTokens(clientId: string, until: number, expiresAt: number): Promise<void>;
  clientTokensRevokedUntil(clientId: string, now: number): Promise<number | undefined>;
  listByClient(clientId: string): Promise<TokenFamilyRecord[]>;
  listByGrant(grantId: string): Promise<TokenFamilyRecord[]>;
}
