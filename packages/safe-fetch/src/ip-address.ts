/**
 * IP address text to bytes, and back for IPv4. Only what the special-purpose check needs: the input
 * is first validated by node:net (`isIPv4`, `isIPv6`), so this parser never sees garbage.
 *
 * Note on encodings: WHATWG URL parsing already turns `https://2130706433/`, `https://0x7f.1/` and
 * `https://017700000001/` into `127.0.0.1`, and `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`. What
 * reaches this module is therefore a normalised literal or a resolver answer, and node:net's strict
 * dotted-decimal rule (no octal, no hex, no short forms) is the right one to hold it to.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export interface ParsedAddress {
  family: IpFamily;
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  bytes: Uint8Array;
}

/** Drops the brackets of a URL IPv6 host and an IPv6 zone id (`fe80::1%eth0`). */
export function bareAddress(text: string): string {
  let bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = bare.indexOf('%');
  if (zone !== -1) bare = bare.slice(0, zone);
  return bare;
}

export function parseAddress(text: string): ParsedAddress | undefined {
  const bare = bareAddress(text);
  if (isIPv4(bare)) return { family: 4, bytes: parseIPv4(bare) };
  if (isIPv6(bare)) return { family: 6, bytes: parseIPv6(bare) };
  return undefined;
}

function parseIPv4(dotted: string): Uint8Array {
  return Uint8Array.from(dotted.split('.').map((part) => Number.parseInt(part, 10)));
}

function parseIPv6(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        // Embedded dotted IPv4 in the last 32 bits (`::ffff:127.0.0.1`).
        const [a = 0, b = 0, c = 0, d = 0] = parseIPv4(piece);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

export function formatIPv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}

/** True when the first `bits` bits of `address` equal those of `prefix`. */
export function prefixMatches(address: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== prefix[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === ((prefix[whole] ?? 0) & mask);
}
