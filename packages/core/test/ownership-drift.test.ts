/**
 * Ownership drift (issue #14, item 3; CIMD-CHG-1): the three signals, each with the case that
 * raises it and the innocent cases next to it that must not; and the networks addresses fall in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClientMetadataDiff,
  type DriftInput,
  detectOwnershipDrift,
  diffClientMetadata,
  networkPrefix,
  type ObservedFetch,
} from '../src/index.ts';

const T = 1_750_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CA_ONE = { issuer: 'CN=First CA', spkiSha256: 'key-one' };
const CA_TWO = { issuer: 'CN=Second CA', spkiSha256: 'key-two' };

const before = { client_id: 'https://app.example/c.json', redirect_uris: ['https://app.example/cb'] };
const keysOrRedirects: ClientMetadataDiff = diffClientMetadata(before, {
  ...before,
  redirect_uris: ['https://app.example/cb', 'https://evil.example/cb'],
});
const nameOnly: ClientMetadataDiff = diffClientMetadata(before, { ...before, client_name: 'App' });

function good(at: number, overrides: Partial<ObservedFetch> = {}): ObservedFetch {
  return { at, outcome: 'accepted', remoteAddress: '192.0.2.10', tls: CA_ONE, ...overrides };
}

function detect(input: Partial<DriftInput>): string[] {
  return detectOwnershipDrift({
    current: { at: T, remoteAddress: '192.0.2.10', tls: CA_ONE },
    earlier: [good(T - HOUR)],
    diff: keysOrRedirects,
    goneAfterMs: DAY,
    ...input,
  }).map((finding) => finding.signal);
}

describe('certificate_and_keys', () => {
  it('a new issuer and a new key while keys or redirects change', () => {
    const [finding] = detectOwnershipDrift({
      current: { at: T, remoteAddress: '192.0.2.10', tls: CA_TWO },
      earlier: [good(T - HOUR)],
      diff: keysOrRedirects,
      goneAfterMs: DAY,
    });
    assert.equal(finding?.signal, 'certificate_and_keys');
    assert.deepEqual(finding.detail, {
      issuer_before: 'CN=First CA',
      issuer_after: 'CN=Second CA',
      spki_sha256_before: 'key-one',
      spki_sha256_after: 'key-two',
    });
    assert.match(finding.reason, /CN=First CA → CN=Second CA/);
  });

  it('not for a renewal (same issuer, or same key), nor with the document unchanged in keys and redirects', () => {
    assert.deepEqual(detect({ current: { at: T, tls: { ...CA_TWO, issuer: CA_ONE.issuer } } }), []);
    assert.deepEqual(detect({ current: { at: T, tls: { ...CA_TWO, spkiSha256: CA_ONE.spkiSha256 } } }), []);
    assert.deepEqual(detect({ current: { at: T, tls: CA_TWO }, diff: nameOnly }), []);
    assert.deepEqual(detect({ current: { at: T, tls: CA_TWO }, diff: undefined }), []);
  });

  it('compares with the last successful fetch that had a certificate', () => {
    const earlier = [
      { at: T - 1, outcome: 'failed', reason: 'tls' } as ObservedFetch,
      good(T - 2, { tls: undefined }),
      good(T - 3, { tls: CA_TWO }),
    ];
    assert.deepEqual(detect({ current: { at: T, tls: CA_TWO }, earlier }), []);
    assert.deepEqual(detect({ current: { at: T, tls: CA_ONE }, earlier }), ['certificate_and_keys']);
  });
});

describe('gone_and_back', () => {
  const gone = (at: number, overrides: Partial<ObservedFetch> = {}): ObservedFetch => ({
    at,
    outcome: 'failed',
    reason: 'status_not_200',
    status: 404,
    ...overrides,
  });

  it('gone (404, 410, unreachable) at least the bound since the last good fetch, back with new redirects', () => {
    const earlier = [
      gone(T - HOUR, { status: 410 }),
      gone(T - DAY, { status: undefined, reason: 'dns_failure' }),
      good(T - 2 * DAY),
    ];
    const [finding] = detectOwnershipDrift({
      current: { at: T, remoteAddress: '192.0.2.10', tls: CA_ONE },
      earlier,
      diff: keysOrRedirects,
      goneAfterMs: DAY,
    });
    assert.equal(finding?.signal, 'gone_and_back');
    assert.deepEqual(finding.detail, {
      gone_since: new Date(T - DAY).toISOString(),
      gone_seconds: DAY / 1000,
      gone_reasons: ['HTTP 410', 'dns_failure'],
    });
  });

  it('not when gone for less than the bound, back unchanged in keys and redirects, or never good before', () => {
    assert.deepEqual(detect({ earlier: [gone(T - HOUR), good(T - 2 * DAY)] }), []);
    assert.deepEqual(detect({ earlier: [gone(T - 2 * DAY), good(T - 3 * DAY)], diff: nameOnly }), []);
    assert.deepEqual(detect({ earlier: [gone(T - 2 * DAY)] }), []);
  });

  it('a 500 or a refused body is not "gone", but does not interrupt a gone period either', () => {
    assert.deepEqual(detect({ earlier: [gone(T - 2 * DAY, { status: 500 }), good(T - 3 * DAY)] }), []);
    const earlier = [
      { at: T - HOUR, outcome: 'refused', reason: 'content_type' } as ObservedFetch,
      gone(T - 2 * DAY, { status: undefined, reason: 'connect_failed' }),
      good(T - 3 * DAY),
    ];
    assert.deepEqual(detect({ earlier }), ['gone_and_back']);
  });
});

describe('network_moved', () => {
  it('an address in a network no earlier fetch was in, once', () => {
    const [finding] = detectOwnershipDrift({
      current: { at: T, remoteAddress: '198.51.100.7', tls: CA_ONE },
      earlier: [good(T - HOUR), good(T - 2 * HOUR, { remoteAddress: '192.0.99.1' })],
      diff: nameOnly,
      goneAfterMs: DAY,
    });
    assert.equal(finding?.signal, 'network_moved');
    assert.deepEqual(finding.detail, {
      address: '198.51.100.7',
      network: '198.51.0.0/16',
      earlier_networks: ['192.0.0.0/16'],
    });
    // The next fetch there has an earlier one in that network.
    assert.deepEqual(
      detect({
        current: { at: T + 1, remoteAddress: '198.51.100.8' },
        earlier: [good(T, { remoteAddress: '198.51.100.7' }), good(T - HOUR)],
        diff: nameOnly,
      }),
      [],
    );
  });

  it('not within the same /16 or /48, nor across address families, nor without earlier addresses', () => {
    assert.deepEqual(detect({ current: { at: T, remoteAddress: '192.0.200.1' }, diff: nameOnly }), []);
    assert.deepEqual(
      detect({
        current: { at: T, remoteAddress: '2001:db8:1:ffff::1' },
        earlier: [good(T - 1, { remoteAddress: '2001:db8:1::5' })],
        diff: nameOnly,
      }),
      [],
    );
    assert.deepEqual(detect({ current: { at: T, remoteAddress: '2001:db8:2::1' }, diff: nameOnly }), []);
    assert.deepEqual(detect({ earlier: [good(T - 1, { remoteAddress: undefined })], diff: nameOnly }), []);
    assert.deepEqual(detect({ current: { at: T, remoteAddress: '::ffff:192.0.2.99' }, diff: nameOnly }), []);
  });
});

describe('networkPrefix', () => {
  it('an IPv4 /16, an IPv6 /48, a mapped IPv4 address as IPv4', () => {
    const cases: [string, string | undefined][] = [
      ['192.0.2.10', '192.0.0.0/16'],
      ['::ffff:198.51.100.1', '198.51.0.0/16'],
      ['2001:db8:1:2::1', '2001:db8:1::/48'],
      ['2001:db8::', '2001:db8::/48'],
      ['64:ff9b::192.0.2.1', '64:ff9b::/48'],
      ['fe80::1%eth0', 'fe80::/48'],
      ['1::2::3', undefined],
      ['300.1.1.1', undefined],
      ['not an address', undefined],
    ];
    for (const [address, cidr] of cases) assert.equal(networkPrefix(address)?.cidr, cidr, address);
  });
});
