/**
 * Ownership drift (issue #14, item 3): signs that the party answering for a client's domain is no
 * longer the one that answered before, judged from the fetch log of the client's metadata document
 * and the version just fetched. A client_id URL proves control of a domain at the moment of the
 * fetch (CIMD-CHG-1 asks the server to weigh what changes after); domains lapse, are re-registered,
 * are moved to other hosting, and a party that takes one over can publish a document of its own
 * under the same client_id. Each signal alone can be innocent, so each is reported with what was
 * seen, and what follows is the change policy's (decision 0034; by default the client goes back to
 * pending until an operator looks).
 *
 * - `certificate_and_keys`: the TLS certificate's issuer and its key (SPKI) both differ from the
 *   last successful fetch's, while the document's keys or redirect URIs change. A certificate
 *   renewal keeps the issuer, or the key, or both; a new CA and a new key at the moment the
 *   document's keys or redirects move is what a new owner looks like.
 * - `gone_and_back`: the document was gone (404, 410, or the host unreachable: DNS, connect, TLS,
 *   deadline, a special-purpose address) for at least `goneAfterMs` since the last successful
 *   fetch, and came back with different keys or redirect URIs: a recycled domain.
 * - `network_moved`: the host was dialled at an address in a network (IPv4 /16, IPv6 /48:
 *   network-prefix.ts) where no earlier fetch of this client was, of the same address family.
 *   Reported once per new network: the next fetch there has an earlier one.
 *
 * Pure. The server (cimd/ownership-drift-check.ts) reads the log, calls this, and applies the policy.
 */
import { type ClientMetadataDiff, changesKeysOrRedirects } from '../cimd/client-metadata-diff.ts';
import { networkPrefix } from './network-prefix.ts';

export const DRIFT_SIGNALS = ['certificate_and_keys', 'gone_and_back', 'network_moved'] as const;
export type DriftSignal = (typeof DRIFT_SIGNALS)[number];

/** The certificate members the signals compare (a fetch log entry's `tls`). */
export interface ObservedCertificate {
  issuer: string;
  spkiSha256: string;
}

/** One earlier fetch of the document, as the fetch log holds it. */
export interface ObservedFetch {
  at: number;
  outcome: 'accepted' | 'not_modified' | 'refused' | 'failed';
  reason?: string | undefined;
  status?: number | undefined;
  remoteAddress?: string | undefined;
  tls?: ObservedCertificate | undefined;
}

export interface DriftInput {
  /** The fetch that brought the version being judged. */
  current: { at: number; remoteAddress?: string | undefined; tls?: ObservedCertificate | undefined };
  /** Every earlier fetch of the client the log still holds, newest first. */
  earlier: readonly ObservedFetch[];
  /** From the last accepted version to this one; undefined when there was none. */
  diff: ClientMetadataDiff | undefined;
  /** How long the document must have been gone for `gone_and_back` (`cimd.driftGoneSeconds`). */
  goneAfterMs: number;
}

export interface DriftFinding {
  signal: DriftSignal;
  /** Why, in words, for the audit event, the hold and the console. */
  reason: string;
  /** What was seen, for the audit event (snake_case, like every audit detail). */
  detail: Record<string, string | number | string[]>;
}

/** Statuses and fetcher reasons that say "the document is gone", not "the server misbehaved". */
const GONE_STATUSES: ReadonlySet<number> = new Set([404, 410]);
const UNREACHABLE: ReadonlySet<string> = new Set([
  'dns_failure',
  'connect_failed',
  'tls',
  'deadline_exceeded',
  'network_error',
  'special_purpose_address',
]);

export function detectOwnershipDrift(input: DriftInput): DriftFinding[] {
  const keysOrRedirects = input.diff !== undefined && changesKeysOrRedirects(input.diff);
  return [
    ...(keysOrRedirects ? certificateAndKeys(input) : []),
    ...(keysOrRedirects ? goneAndBack(input) : []),
    ...networkMoved(input),
  ];
}

function successful(fetch: ObservedFetch): boolean {
  return fetch.outcome === 'accepted' || fetch.outcome === 'not_modified';
}

export function isGone(fetch: ObservedFetch): boolean {
  if (fetch.outcome !== 'failed') return false;
  if (fetch.status !== undefined && GONE_STATUSES.has(fetch.status)) return true;
  return fetch.reason !== undefined && UNREACHABLE.has(fetch.reason);
}

function certificateAndKeys({ current, earlier }: DriftInput): DriftFinding[] {
  const previous = earlier.find((fetch) => successful(fetch) && fetch.tls !== undefined)?.tls;
  const now = current.tls;
  if (previous === undefined || now === undefined) return [];
  if (previous.issuer === now.issuer || previous.spkiSha256 === now.spkiSha256) return [];
  return [
    {
      signal: 'certificate_and_keys',
      reason: `the TLS certificate changed issuer (${oneLine(previous.issuer)} → ${oneLine(now.issuer)}) and key while the document's keys or redirect URIs changed`,
      detail: {
        issuer_before: previous.issuer,
        issuer_after: now.issuer,
        spki_sha256_before: previous.spkiSha256,
        spki_sha256_after: now.spkiSha256,
      },
    },
  ];
}

function goneAndBack({ current, earlier, goneAfterMs }: DriftInput): DriftFinding[] {
  // The fetches since the last successful one, newest first; none successful among them.
  const lastGood = earlier.findIndex(successful);
  if (lastGood <= 0) return []; // never good (a new client), or good just before this fetch
  const gone = earlier.slice(0, lastGood).filter(isGone);
  const since = gone.at(-1)?.at;
  if (since === undefined || current.at - since < goneAfterMs) return [];
  const reasons = [
    ...new Set(gone.map((fetch) => (fetch.status === undefined ? fetch.reason! : `HTTP ${fetch.status}`))),
  ];
  const seconds = Math.floor((current.at - since) / 1000);
  return [
    {
      signal: 'gone_and_back',
      reason: `the document was gone for ${seconds} s (${reasons.join(', ')}) and came back with different keys or redirect URIs`,
      detail: { gone_since: new Date(since).toISOString(), gone_seconds: seconds, gone_reasons: reasons },
    },
  ];
}

function networkMoved({ current, earlier }: DriftInput): DriftFinding[] {
  const now = current.remoteAddress === undefined ? undefined : networkPrefix(current.remoteAddress);
  if (now === undefined) return [];
  const before = new Set<string>();
  for (const fetch of earlier) {
    const network = fetch.remoteAddress === undefined ? undefined : networkPrefix(fetch.remoteAddress);
    if (network?.family === now.family) before.add(network.cidr);
  }
  // Nothing earlier of this family to compare with (a first fetch, or IPv4 before and IPv6 now).
  if (before.size === 0 || before.has(now.cidr)) return [];
  const earlierNetworks = [...before].sort();
  return [
    {
      signal: 'network_moved',
      reason: `the host was dialled at ${current.remoteAddress} in ${now.cidr}, where no earlier fetch was (${earlierNetworks.join(', ')})`,
      detail: { address: current.remoteAddress!, network: now.cidr, earlier_networks: earlierNetworks },
    },
  ];
}

/** A distinguished name as Node prints it (one attribute a line) on one line. */
function oneLine(name: string): string {
  return name.split('\n').join(', ');
}
