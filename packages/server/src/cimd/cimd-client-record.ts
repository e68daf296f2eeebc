import type { ClientMetadata } from '@gatehouse-oauth/core';
import type { ClientRecord } from '../store/store.ts';

/**
 * The record of a client known by its metadata document, in one shape whoever records it first:
 * the CIMD resolver when a client_id is first seen (`client.discovered`), or an operator's
 * pre-registration (`gatehouse clients add --cimd`, `client.added`). The kind is recorded, never
 * guessed from the `https://` prefix (CIMD-CO-2).
 */
export function cimdClientRecord(clientId: string, metadata: ClientMetadata, now: number): ClientRecord {
  return { clientId, kind: 'cimd', metadata, createdAt: now, updatedAt: now };
}
