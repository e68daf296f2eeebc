import type { ClientMetadata } from '@gatehouse/core';

/** Where a client came from (CIMD-CO-2: provenance is a recorded fact, never guessed from the id). */
export type ClientKind = 'static' | 'dcr' | 'cimd';

export interface ClientRecord {
  clientId: string;
  kind: ClientKind;
  /** Validated metadata, never containing client_secret. */
  metadata: ClientMetadata;
  /** SHA-256 digest (base64url) of the client secret, for confidential secret-based clients. */
  secretDigest?: string;
  /** When the secret stops being accepted; undefined means never (RFC 7591 client_secret_expires_at = 0). */
  secretExpiresAt?: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * Contract: `put` inserts or wholly replaces the record for its clientId (last writer wins; no
 * merge). `delete` returns whether a record existed. `list` is ordered by clientId, paged by `after`.
 */
export interface ClientStore {
  get(clientId: string): Promise<ClientRecord | undefined>;
  put(record: ClientRecord): Promise<void>;
  delete(clientId: string): Promise<boolean>;
  list(options?: { limit?: number; after?: string }): Promise<ClientRecord[]>;
}
