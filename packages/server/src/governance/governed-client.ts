import { type GovernedClient, isAtprotoLoopbackClientId } from '@gatehouse-oauth/core';
import type { ClientRecord } from '../store/store.ts';

/**
 * What governance may look at for a resolved client (core/governance/client-selector-match.ts):
 * its provenance (CIMD-CO-2: recorded, never guessed), the client_id URL's host for document
 * clients, its `software_id`, the hosts of its redirect URIs and, for an installation registration,
 * its shared record (decision 0046).
 */
export function governedClientOf(client: ClientRecord): GovernedClient {
  const { clientId, metadata } = client;
  const redirectHosts: string[] = [];
  for (const uri of metadata.redirect_uris ?? []) {
    const host = hostOf(uri);
    if (host !== undefined && !redirectHosts.includes(host)) redirectHosts.push(host);
  }
  const loopback = client.kind === 'cimd' && isAtprotoLoopbackClientId(clientId);
  const shared = client.registration?.sharedRegistration;
  return {
    clientId,
    kind: loopback ? 'loopback' : client.kind,
    host: client.kind === 'cimd' && !loopback ? hostOf(clientId) : undefined,
    softwareId: metadata.software_id,
    redirectHosts,
    // Only on installations, so every other client's facts read as before (previews, audits).
    ...(shared === undefined ? {} : { sharedClientId: shared }),
  };
}

/**
 * What the client_id alone says, before anything is read or fetched: an https client_id is a
 * Client ID Metadata Document URL (static ids may not be URLs, CIMD-CO-1; DCR ids are generated).
 * Undefined for every other id: those are read from the store, without any fetch.
 */
export function governedClientBeforeFetch(clientId: string): GovernedClient | undefined {
  if (!clientId.startsWith('https://')) return undefined;
  const host = hostOf(clientId);
  return host === undefined ? undefined : { clientId, kind: 'cimd', host };
}

function hostOf(uri: string): string | undefined {
  try {
    const host = new URL(uri).hostname.toLowerCase();
    return host === '' ? undefined : host;
  } catch {
    return undefined;
  }
}
