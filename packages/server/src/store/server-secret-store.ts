/**
 * Named server secrets shared by every instance (cookie/CSRF HMAC keys now, the DPoP nonce secret
 * later). Contract: `getOrCreate` is atomic: when instances race, the first value written wins and
 * every caller gets that same value back.
 */
export interface ServerSecretStore {
  getOrCreate(name: string, create: () => string): Promise<string>;
}
