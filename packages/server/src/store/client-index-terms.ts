import { isLocalRedirectUri } from '@gatehouse-oauth/core';
import type { ClientIndexTerm } from './client-inventory-store.ts';
import type { ClientRecord } from './client-store.ts';

/**
 * The index terms of a client record (client-inventory-store.ts): what the inventory filters on,
 * computed once when the record is written so that a query never parses a metadata document.
 *
 * The owning hosts are who answers for the client on the web (issue #14): for a Client ID Metadata
 * Document client its client_id host (CIMD §3: control of that host is what the client_id proves);
 * for a registered client, which has no such host, the hosts it redirects to. Each owning host is
 * a `domain` term, and so is each parent domain of a name (not of an IP address), so a filter on
 * `example.com` is one index lookup and finds `app.example.com` too. Hosts are compared as the
 * URL parser spells them (lower-case, punycode), as governance's `host:` and `domain:` do.
 */
export function clientIndexTerms(record: ClientRecord): [ClientIndexTerm, string][] {
  const terms = new Map<string, [ClientIndexTerm, string]>();
  const add = (term: ClientIndexTerm, value: string) => terms.set(`${term} ${value}`, [term, value]);
  const redirectUris = record.metadata.redirect_uris ?? [];
  const redirectHosts = redirectUris.flatMap((uri) => hostOf(uri) ?? []);
  for (const host of redirectHosts) add('redirect_host', host);
  const owning =
    record.kind === 'cimd' ? [hostOf(record.clientId)].flatMap((host) => host ?? []) : redirectHosts;
  for (const host of owning) for (const domain of domainsOf(host)) add('domain', domain);
  const softwareId = record.metadata.software_id;
  if (typeof softwareId === 'string' && softwareId !== '') add('software_id', softwareId);
  if (redirectUris.length > 0 && redirectUris.every(isLocalRedirectUri)) add('local_only', '1');
  const shared = record.registration?.sharedRegistration;
  if (shared !== undefined) add('shared_registration', shared);
  return [...terms.values()];
}

/** A host and each of its parent domains, longest first; an IP address is only itself. */
export function domainsOf(host: string): string[] {
  if (host.startsWith('[') || /^\d+(\.\d+){3}$/.test(host)) return [host];
  const labels = host.split('.');
  return labels.map((_, index) => labels.slice(index).join('.')).filter((domain) => domain !== '');
}

/** The host of a URI as the URL parser spells it; undefined when it has none (`com.example.app:/cb`). */
export function hostOf(uri: string): string | undefined {
  try {
    const host = new URL(uri).hostname.toLowerCase();
    return host === '' ? undefined : host;
  } catch {
    return undefined;
  }
}
