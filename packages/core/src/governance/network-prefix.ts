/**
 * The network an address belongs to, for ownership drift (ownership-drift.ts): an IPv4 address's
 * /16, an IPv6 address's /48. Why those sizes: a /16 is the usual unit in which a hosting provider
 * or CDN holds IPv4 space, so moving within one provider's range does not read as a move, while a
 * domain now served from someone else's range does; /48 is the smallest IPv6 allocation a site is
 * given (RFC 6177), so it is the IPv6 equivalent of "the same site". A heuristic by design: a
 * provider with scattered ranges looks like a move, and two parties inside one /16 look the same.
 *
 * Pure: no DNS, no socket. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as a dual-stack socket
 * reports an IPv4 peer) is its IPv4 address.
 */
export interface NetworkPrefix {
  family: 4 | 6;
  /** The network in CIDR notation, e.g. `192.0.0.0/16`, `2001:db8:1::/48`. */
  cidr: string;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function networkPrefix(address: string): NetworkPrefix | undefined {
  const v4 = ipv4Octets(address);
  if (v4 !== undefined) return { family: 4, cidr: `${v4[0]}.${v4[1]}.0.0/16` };
  const groups = ipv6Groups(address.toLowerCase().split('%')[0]!);
  if (groups === undefined) return undefined;
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): an IPv4 peer on a dual-stack socket.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return { family: 4, cidr: `${groups[6]! >> 8}.${groups[6]! & 0xff}.0.0/16` };
  }
  // The first three groups, trailing zero groups folded into the `::`.
  const head = groups.slice(0, 3);
  while (head.at(-1) === 0) head.pop();
  return { family: 6, cidr: `${head.map((group) => group.toString(16)).join(':')}::/48` };
}

function ipv4Octets(address: string): number[] | undefined {
  const match = IPV4.exec(address);
  if (match === null) return undefined;
  const octets = match.slice(1).map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail); undefined if not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const dotted = ipv4Octets(text.slice(lastColon + 1));
  if (lastColon >= 0 && dotted !== undefined) {
    tail.push((dotted[0]! << 8) | dotted[1]!, (dotted[2]! << 8) | dotted[3]!);
    text = `${text.slice(0, lastColon + 1)}0:0`; // two placeholder groups, replaced by the tail below
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...head, ...rest].some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...rest].map((group) =>
    Number.parseInt(group, 16),
  );
  if (tail.length === 2) groups.splice(6, 2, ...tail);
  return groups;
}
