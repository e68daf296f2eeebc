/**
 * The special-purpose tables, row by row (CIMD-FETCH-5, CIMD-FETCH-6): the first and last address of
 * every range is refused and named after that range; neighbours just outside stay public; IPv6
 * wrappings of IPv4 are judged by the embedded address. Pure: no sockets.
 */
import assert from 'node:assert/strict';
import { isIPv4 } from 'node:net';
import { describe, test } from 'node:test';
import {
  classifyAddress,
  IPV4_SPECIAL_PURPOSE,
  IPV6_OUTSIDE_GLOBAL_UNICAST,
  IPV6_SPECIAL_PURPOSE,
  type SpecialPurposeRange,
} from '../src/index.ts';
import { parseAddress } from '../src/ip-address.ts';

/** First and last address of a CIDR block, as text. */
function bounds(cidr: string): [string, string] {
  const [base = '', bitsText = ''] = cidr.split('/');
  const parsed = parseAddress(base);
  assert.ok(parsed, cidr);
  const bits = Number(bitsText);
  const last = Uint8Array.from(parsed.bytes);
  for (let i = 0; i < last.length * 8; i++) {
    if (i >= bits) last[i >> 3] = (last[i >> 3] ?? 0) | (0x80 >> (i & 7));
  }
  const text = (bytes: Uint8Array): string =>
    parsed.family === 4
      ? Array.from(bytes).join('.')
      : Array.from({ length: 8 }, (_, i) =>
          (((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0)).toString(16),
        ).join(':');
  return [text(parsed.bytes), text(last)];
}

function rangeOf(address: string): SpecialPurposeRange | undefined {
  const c = classifyAddress(address);
  return c.special ? c.range : undefined;
}

/** A more specific row listed before a wider one takes the name of the addresses it covers. */
function expectedRow(table: readonly SpecialPurposeRange[], row: SpecialPurposeRange, address: string) {
  const nested: Record<string, string> = {
    '255.255.255.255': '255.255.255.255/32',
    '0:0:0:0:0:0:0:0': '::/128',
  };
  if (row.cidr === '2001::/23' && address.startsWith('2001:0:'))
    return table.find((r) => r.cidr === '2001::/32');
  const cidr = nested[address];
  return cidr === undefined ? row : table.find((r) => r.cidr === cidr);
}

describe('the tables the row tests below are generated from', () => {
  // A test per row: an empty table would generate none, and nothing would fail.
  test('are not empty (IANA lists well over ten ranges for each family)', () => {
    assert.ok(IPV4_SPECIAL_PURPOSE.length >= 10, `${IPV4_SPECIAL_PURPOSE.length} IPv4 rows`);
    assert.ok(IPV6_SPECIAL_PURPOSE.length >= 10, `${IPV6_SPECIAL_PURPOSE.length} IPv6 rows`);
  });
});

describe('IPv4 special-purpose table', () => {
  for (const row of IPV4_SPECIAL_PURPOSE) {
    test(`${row.cidr} ${row.name} (${row.rfc})`, () => {
      for (const address of bounds(row.cidr)) {
        assert.equal(rangeOf(address), expectedRow(IPV4_SPECIAL_PURPOSE, row, address), address);
      }
    });
  }

  const publicNeighbours = [
    '1.0.0.0',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '191.255.255.255',
    '192.0.1.0',
    '192.0.3.0',
    '192.88.98.255',
    '192.88.100.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '198.51.99.255',
    '198.51.101.0',
    '203.0.112.255',
    '203.0.114.0',
    '223.255.255.255',
  ];
  for (const address of publicNeighbours) {
    test(`${address} is public`, () =>
      assert.deepEqual(classifyAddress(address), { special: false, family: 4 }));
  }
});

describe('IPv6 special-purpose table', () => {
  for (const row of IPV6_SPECIAL_PURPOSE) {
    test(`${row.cidr} ${row.name} (${row.rfc})`, () => {
      const [first, last] = bounds(row.cidr);
      if (row.embedsIPv4 === undefined) {
        for (const address of [first, last]) {
          assert.equal(rangeOf(address), expectedRow(IPV6_SPECIAL_PURPOSE, row, address), address);
        }
        return;
      }
      // Wrapping rows are judged by the embedded IPv4: the block's first address wraps 0.0.0.0
      // (refused as "this network") and its last wraps 255.255.255.255 (limited broadcast).
      for (const address of [first, last]) {
        const c = classifyAddress(address);
        assert.equal(c.special, true, address);
        assert.ok(c.special && c.range.cidr !== row.cidr);
      }
    });
  }

  test(`outside ${IPV6_OUTSIDE_GLOBAL_UNICAST.cidr} is refused (${IPV6_OUTSIDE_GLOBAL_UNICAST.rfc})`, () => {
    for (const address of ['1::1', '100:0:0:1::1', '4000::1', 'e000::1', '1fff:ffff::1']) {
      assert.equal(rangeOf(address), IPV6_OUTSIDE_GLOBAL_UNICAST, address);
    }
  });

  const publicNeighbours = [
    '2000::1',
    '2001:200::1', // just past 2001::/23
    '2001:db7:ffff::1',
    '2001:db9::1',
    '2001:4860:4860::8888',
    '2003::1', // just past 2002::/16
    '2606:4700:4700::1111',
    '3ffe:ffff::1', // just below 3fff::/20
    '3fff:1000::1', // just past 3fff::/20
  ];
  for (const address of publicNeighbours) {
    test(`${address} is public`, () =>
      assert.deepEqual(classifyAddress(address), { special: false, family: 6 }));
  }
});

describe('IPv6 wrappings of IPv4 are unwrapped and judged by the IPv4 table', () => {
  const cases: [address: string, embedded: string | undefined, via: string][] = [
    ['::ffff:127.0.0.1', '127.0.0.1', '::ffff:0:0/96'],
    ['::ffff:7f00:1', '127.0.0.1', '::ffff:0:0/96'],
    ['::ffff:a9fe:a9fe', '169.254.169.254', '::ffff:0:0/96'],
    ['0:0:0:0:0:ffff:0a00:0001', '10.0.0.1', '::ffff:0:0/96'],
    ['::ffff:8.8.8.8', undefined, '::ffff:0:0/96'],
    ['::7f00:1', '127.0.0.1', '::/96'],
    ['::10.0.0.1', '10.0.0.1', '::/96'],
    ['::8.8.8.8', undefined, '::/96'],
    ['64:ff9b::a00:1', '10.0.0.1', '64:ff9b::/96'],
    ['64:ff9b::127.0.0.1', '127.0.0.1', '64:ff9b::/96'],
    ['64:ff9b::808:808', undefined, '64:ff9b::/96'],
    ['2002:a00:1::', '10.0.0.1', '2002::/16'],
    ['2002:7f00:1::1', '127.0.0.1', '2002::/16'],
    ['2002:a9fe:a9fe::', '169.254.169.254', '2002::/16'],
    ['2002:808:808::1', undefined, '2002::/16'],
  ];
  for (const [address, embedded, via] of cases) {
    test(`${address} -> ${embedded ?? 'public'}`, () => {
      const c = classifyAddress(address);
      if (embedded === undefined) {
        assert.equal(c.special, false);
        return;
      }
      assert.ok(c.special);
      assert.equal(c.embedded?.address, embedded);
      assert.equal(c.embedded?.via.cidr, via);
      assert.ok(isIPv4(embedded));
      assert.equal(c.range, rangeOf(embedded));
    });
  }

  test('::/128 and ::1/128 keep their own rows, not ::/96', () => {
    assert.equal(rangeOf('::')?.cidr, '::/128');
    assert.equal(rangeOf('::1')?.cidr, '::1/128');
    assert.equal(rangeOf('0:0:0:0:0:0:0:1')?.cidr, '::1/128');
  });

  test('brackets and zone ids are tolerated', () => {
    assert.equal(rangeOf('[::1]')?.cidr, '::1/128');
    assert.equal(rangeOf('fe80::1%eth0')?.cidr, 'fe80::/10');
  });
});

test('non-addresses throw a TypeError', () => {
  for (const text of ['client.test', '', '127.1', '0x7f.0.0.1', '017700000001', '1.2.3.4.5', 'fe80::g']) {
    assert.throws(() => classifyAddress(text), TypeError, text);
  }
});
