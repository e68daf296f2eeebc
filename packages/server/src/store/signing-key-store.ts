import type { JWK } from 'jose';

export interface SigningKeyRecord {
  kid: string;
  alg: 'ES256';
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
  /** Set when a newer key took over. A retired key still verifies (stays in the JWKS) until removed. */
  retiredAt?: number;
}

/**
 * Contract: `list` returns every key, newest `createdAt` first. The signing key is the newest one
 * that is not retired. `add` fails (returns false) on a duplicate kid. `retire` is idempotent and
 * keeps the first retiredAt.
 */
export interface SigningKeyStore {
  list(): Promise<SigningKeyRecord[]>;
  add(key: SigningKeyRecord): Promise<boolean>;
  retire(kid: string, at: number): Promise<void>;
  delete(kid: string): Promise<boolean>;
}
