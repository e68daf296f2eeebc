import { isIPv4, isIPv6 } from 'node:net';

/**
 * The rate-limit key of a request's source address (issue #18 finding 6, DCR-EP-3). An IPv4
 * address is one key. An IPv6 address is keyed by its /64: a single subscriber is routinely handed
 * a whole /64 (RFC 6177 §3 recommends at least that), so keying the full address would give one
 * sender 2^64 fresh buckets. IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket
 * reports for an IPv4 peer) is the IPv4 address it carries, so both spellings share one bucket.
 * Anything that is not an address (an embedder's label) is used as given.
 */
export function sourceKey(address: string): string {
  let bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = bare.indexOf('%');
  if (zone !== -1) bare = bare.slice(0, zone);
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/**
 * The eight 16-bit groups of a valid IPv6 address (checked by node:net first). WHATWG URL
 * serialisation does the hard part: it expands nothing but canonicalises case, leading zeros and an
 * embedded dotted IPv4 tail into hex groups, leaving at most one `::` to expand here.
 */
function ipv6Groups(address: string): number[] {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::') as [string, string | undefined];
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
