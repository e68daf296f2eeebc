/**
 * The addresses an outbound fetch must never reach. CIMD-FETCH-5 and CIMD-FETCH-6 (draft-ietf-oauth-
 * client-id-metadata-document-02 §8.6) forbid fetching a client ID URL, or any URL found inside the
 * document, that resolves to a "special-use" address (RFC 6890); AT-15 asks the same of the atproto
 * hardened client.
 *
 * Sources: the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890, RFC 8190), plus the
 * ranges they leave out but an SSRF filter must not: multicast, IPv4 class E, site-local, and
 * everything outside IPv6 global unicast. One row per range, each with the RFC that defines it.
 *
 * Ranges that carry an IPv4 address inside an IPv6 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are
 * not refused outright: the embedded IPv4 address is unwrapped and judged by the IPv4 table, so
 * `[::ffff:7f00:1]`, `[64:ff9b::a00:1]` and `[2002:a00:1::]` are refused exactly like 127.0.0.1 and
 * 10.0.0.1, while a NAT64 address of a public IPv4 server stays reachable on IPv6-only networks.
 *
 * Globally reachable exceptions inside a refused block (192.0.0.9/32 and 192.0.0.10/32 in
 * 192.0.0.0/24; 2001:1::1/128, 2001:3::/32, 2001:20::/28 ... in 2001::/23) stay refused: they are
 * anycast and overlay services, never the home of a client metadata document or a JWKS.
 */
import { formatIPv4, type IpFamily, parseAddress, prefixMatches } from './ip-address.ts';

/** Where an IPv6 range keeps an IPv4 address, and what kind of wrapping it is. */
export type EmbeddedIPv4Kind = 'ipv4-mapped' | 'ipv4-compatible' | 'nat64' | '6to4';

export interface SpecialPurposeRange {
  /** The block in CIDR notation, as IANA writes it. */
  readonly cidr: string;
  /** The registry's name for it. */
  readonly name: string;
  /** The RFC (and section) that defines it. */
  readonly rfc: string;
  /** Loopback ranges: the only ones the development switch `allowLoopback` may open (CIMD-FETCH-7). */
  readonly loopback?: true;
  /** For IPv6 ranges that wrap an IPv4 address: the byte offset of those 32 bits, and the wrapping. */
  readonly embedsIPv4?: { readonly offset: number; readonly kind: EmbeddedIPv4Kind };
}

// biome-ignore format: one row per range reads best as a table
export const IPV4_SPECIAL_PURPOSE: readonly SpecialPurposeRange[] = [
  { cidr: '0.0.0.0/8', name: '"This network"', rfc: 'RFC 791 §3.2, RFC 1122 §3.2.1.3' },
  { cidr: '10.0.0.0/8', name: 'Private-Use', rfc: 'RFC 1918' },
  { cidr: '100.64.0.0/10', name: 'Shared Address Space (carrier-grade NAT)', rfc: 'RFC 6598' },
  { cidr: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122 §3.2.1.3', loopback: true },
  // Cloud metadata services (169.254.169.254) live here: the classic SSRF target.
  { cidr: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927' },
  { cidr: '172.16.0.0/12', name: 'Private-Use', rfc: 'RFC 1918' },
  { cidr: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890 §2.1' },
  { cidr: '192.0.2.0/24', name: 'Documentation (TEST-NET-1)', rfc: 'RFC 5737' },
  { cidr: '192.88.99.0/24', name: '6to4 Relay Anycast (deprecated)', rfc: 'RFC 7526' },
  { cidr: '192.168.0.0/16', name: 'Private-Use', rfc: 'RFC 1918' },
  { cidr: '198.18.0.0/15', name: 'Benchmarking', rfc: 'RFC 2544' },
  { cidr: '198.51.100.0/24', name: 'Documentation (TEST-NET-2)', rfc: 'RFC 5737' },
  { cidr: '203.0.113.0/24', name: 'Documentation (TEST-NET-3)', rfc: 'RFC 5737' },
  { cidr: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771' },
  // Inside 240.0.0.0/4; listed first so a refusal names it.
  { cidr: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 919 §7, RFC 8190' },
  { cidr: '240.0.0.0/4', name: 'Reserved (class E)', rfc: 'RFC 1112 §4' },
];

// biome-ignore format: one row per range reads best as a table
export const IPV6_SPECIAL_PURPOSE: readonly SpecialPurposeRange[] = [
  { cidr: '::/128', name: 'Unspecified Address', rfc: 'RFC 4291 §2.5.2' },
  { cidr: '::1/128', name: 'Loopback Address', rfc: 'RFC 4291 §2.5.3', loopback: true },
  // The kernel turns these into IPv4 sockets: ::ffff:127.0.0.1 IS 127.0.0.1.
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped Address', rfc: 'RFC 4291 §2.5.5.2', embedsIPv4: { offset: 12, kind: 'ipv4-mapped' } },
  // Deprecated; after ::/128 and ::1/128 so those keep their own names.
  { cidr: '::/96', name: 'IPv4-compatible Address (deprecated)', rfc: 'RFC 4291 §2.5.5.1', embedsIPv4: { offset: 12, kind: 'ipv4-compatible' } },
  { cidr: '64:ff9b::/96', name: 'IPv4-IPv6 Translation (NAT64 well-known prefix)', rfc: 'RFC 6052 §2.1', embedsIPv4: { offset: 12, kind: 'nat64' } },
  { cidr: '64:ff9b:1::/48', name: 'IPv4-IPv6 Translation (local-use NAT64)', rfc: 'RFC 8215' },
  { cidr: '100::/64', name: 'Discard-Only Address Block', rfc: 'RFC 6666' },
  // Teredo sits inside 2001::/23; listed first so a refusal names it.
  { cidr: '2001::/32', name: 'TEREDO', rfc: 'RFC 4380' },
  { cidr: '2001::/23', name: 'IETF Protocol Assignments', rfc: 'RFC 2928' },
  { cidr: '2001:db8::/32', name: 'Documentation', rfc: 'RFC 3849' },
  { cidr: '2002::/16', name: '6to4', rfc: 'RFC 3056 §2', embedsIPv4: { offset: 2, kind: '6to4' } },
  { cidr: '3fff::/20', name: 'Documentation', rfc: 'RFC 9637' },
  { cidr: '5f00::/16', name: 'Segment Routing (SRv6) SIDs', rfc: 'RFC 9602' },
  { cidr: 'fc00::/7', name: 'Unique-Local', rfc: 'RFC 4193' },
  { cidr: 'fe80::/10', name: 'Link-Local Unicast', rfc: 'RFC 4291 §2.5.6' },
  { cidr: 'fec0::/10', name: 'Site-Local Unicast (deprecated)', rfc: 'RFC 3879' },
  { cidr: 'ff00::/8', name: 'Multicast', rfc: 'RFC 4291 §2.7' },
];

/**
 * Everything outside 2000::/3 that the rows above did not already name or unwrap. IANA has allocated
 * only 2000::/3 for global unicast (RFC 4291 §2.4, IANA IPv6 Address Space registry), so no public
 * server lives elsewhere; refusing the rest also covers blocks added to the registry after this table.
 */
export const IPV6_OUTSIDE_GLOBAL_UNICAST: SpecialPurposeRange = {
  cidr: '2000::/3',
  name: 'Outside IPv6 Global Unicast',
  rfc: 'RFC 4291 §2.4',
};

interface CompiledRange {
  range: SpecialPurposeRange;
  prefix: Uint8Array;
  bits: number;
}

function compile(range: SpecialPurposeRange, family: IpFamily): CompiledRange {
  const [base = '', bitsText = ''] = range.cidr.split('/');
  const parsed = parseAddress(base);
  const bits = Number(bitsText);
  if (parsed?.family !== family || !Number.isInteger(bits) || bits > parsed.bytes.length * 8) {
    throw new Error(`bad special-purpose row ${range.cidr}`);
  }
  return { range, prefix: parsed.bytes, bits };
}

const ipv4Table = IPV4_SPECIAL_PURPOSE.map((range) => compile(range, 4));
const ipv6Table = IPV6_SPECIAL_PURPOSE.map((range) => compile(range, 6));
const globalUnicast = compile(IPV6_OUTSIDE_GLOBAL_UNICAST, 6);

export interface SpecialPurposeMatch {
  /** The row that makes the address special. */
  range: SpecialPurposeRange;
  /** Set when the address was an IPv6 wrapping of this IPv4 address, judged by the IPv4 table. */
  embedded?: { address: string; via: SpecialPurposeRange };
}

export type AddressClassification =
  | { special: false; family: IpFamily }
  | ({ special: true; family: IpFamily } & SpecialPurposeMatch);

/**
 * Classifies one IP address (dotted IPv4, or IPv6 with or without brackets and zone id). Throws a
 * TypeError for text that is not an IP address: callers decide what an unparseable answer means.
 */
export function classifyAddress(address: string): AddressClassification {
  const parsed = parseAddress(address);
  if (parsed === undefined) throw new TypeError(`not an IP address: ${address}`);
  if (parsed.family === 4) {
    const row = ipv4Table.find((r) => prefixMatches(parsed.bytes, r.prefix, r.bits));
    return row === undefined ? { special: false, family: 4 } : { special: true, family: 4, range: row.range };
  }
  const row = ipv6Table.find((r) => prefixMatches(parsed.bytes, r.prefix, r.bits));
  if (row?.range.embedsIPv4 !== undefined) {
    const { offset } = row.range.embedsIPv4;
    const embedded = formatIPv4(parsed.bytes.subarray(offset, offset + 4));
    const inner = classifyAddress(embedded);
    if (!inner.special) return { special: false, family: 6 };
    return { special: true, family: 6, range: inner.range, embedded: { address: embedded, via: row.range } };
  }
  if (row !== undefined) return { special: true, family: 6, range: row.range };
  if (!prefixMatches(parsed.bytes, globalUnicast.prefix, globalUnicast.bits)) {
    return { special: true, family: 6, range: IPV6_OUTSIDE_GLOBAL_UNICAST };
  }
  return { special: false, family: 6 };
}

/** `10.0.0.0/8 Private-Use (RFC 1918)`, for error messages and audit records. */
export function describeRange(range: SpecialPurposeRange): string {
  return `${range.cidr} ${range.name} (${range.rfc})`;
}
