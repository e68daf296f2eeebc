/**
 * Trust tiers (issue #13): the operator's policy for a class of clients, above whatever a client's
 * own document asks for. A client gets the weakest tier that applies to it unless a rule names one:
 *
 * - `trusted`: pre-registered by the operator (or approved into it by a rule);
 * - `verified-domain`: a Client ID Metadata Document client with web redirects: its https
 *   client_id proves control of a domain (CIMD §3), and tokens go to web origins;
 * - `self-asserted`: a dynamic registration (RFC 7591): everything it says, it says of itself;
 * - `local`: every redirect URI is loopback or a private-use scheme, so any program on the user's
 *   machine could be the one asking (RFC 8252 §8.6, MCP security considerations on localhost
 *   redirects); weakest of all, whatever the kind.
 */
import { isLoopbackRedirectUri } from '../redirect-uri.ts';
import type { GovernedClientKind } from './client-selector.ts';

export const TRUST_TIERS = ['trusted', 'verified-domain', 'self-asserted', 'local'] as const;
export type TrustTier = (typeof TRUST_TIERS)[number];

/** Weakest last: the order in which "the weakest tier that applies" is chosen. */
const STRENGTH: Record<TrustTier, number> = {
  trusted: 3,
  'verified-domain': 2,
  'self-asserted': 1,
  local: 0,
};

/** The tier of a client no rule places: the weakest that applies to its kind and redirects. */
export function defaultTrustTier(kind: GovernedClientKind, redirectUris: readonly string[]): TrustTier {
  const applicable: TrustTier[] = [];
  if (kind === 'static') applicable.push('trusted');
  if (kind === 'cimd') applicable.push('verified-domain');
  if (kind === 'dcr') applicable.push('self-asserted');
  // A workload (SEP-1933): a platform the operator trusts vouches for it, as a domain vouches for a
  // document client; an operator's rule makes it `trusted` (decision 0043).
  if (kind === 'workload') applicable.push('verified-domain');
  if (kind === 'loopback' || (redirectUris.length > 0 && redirectUris.every(isLocalRedirectUri)))
    applicable.push('local');
  return applicable.reduce((weakest, tier) => (STRENGTH[tier] < STRENGTH[weakest] ? tier : weakest));
}

/**
 * A redirect that only a program on the user's machine receives: http loopback (RFC 8252 §7.3) or
 * a private-use URI scheme (RFC 8252 §7.1: a scheme without `//`, such as `com.example.app:/cb`).
 */
export function isLocalRedirectUri(uri: string): boolean {
  if (isLoopbackRedirectUri(uri)) return true;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  return scheme !== undefined && scheme !== 'http' && scheme !== 'https';
}
