/**
 * The connect-time check (CIMD-FETCH-5, -6, -7, -14) as the socket sees it: the `lookup` function
 * handed to net.connect, driven directly with a stub resolver. No socket is made here, so hostile
 * answers (10.0.0.1, 169.254.169.254, public addresses) can be exercised without dialling anything.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { describe, test } from 'node:test';
import {
  type AddressPolicy,
  createCheckedLookup,
  isAddressAllowed,
  type ResolvedAddress,
  SafeFetchError,
} from '../src/index.ts';
import { stubResolver } from './support/servers.ts';

const strict: AddressPolicy = { allowLoopback: false };
const dev: AddressPolicy = { allowLoopback: true };

type LookupResult = { error: Error } | { address: string | LookupAddress[]; family: number | undefined };

function runLookup(
  lookup: LookupFunction,
  hostname: string,
  all: boolean,
  family = 0,
): Promise<LookupResult> {
  return new Promise((resolve) => {
    lookup(hostname, { all, family }, (error, address, fam) => {
      resolve(error ? { error } : { address, family: fam });
    });
  });
}

function lookupFor(answers: readonly (string | ResolvedAddress)[], policy: AddressPolicy) {
  const stub = stubResolver({ 'client.test': answers });
  return { lookup: createCheckedLookup(stub.resolver, policy), calls: stub.calls };
}

async function expectRefused(result: Promise<LookupResult>, reason: string, address?: string): Promise<void> {
  const r = await result;
  assert.ok('error' in r, 'expected a refusal');
  assert.ok(r.error instanceof SafeFetchError);
  assert.equal(r.error.reason, reason);
  if (address !== undefined) assert.equal(r.error.address, address);
}

describe('checked lookup: every answer is checked before any is returned to the socket', () => {
  const refused: [label: string, answers: string[], address: string][] = [
    ['private 10.0.0.1', ['10.0.0.1'], '10.0.0.1'],
    ['cloud metadata 169.254.169.254', ['169.254.169.254'], '169.254.169.254'],
    ['loopback 127.0.0.1', ['127.0.0.1'], '127.0.0.1'],
    ['loopback ::1', ['::1'], '::1'],
    ['IPv4-mapped loopback ::ffff:127.0.0.1', ['::ffff:127.0.0.1'], '::ffff:127.0.0.1'],
    ['NAT64 of 10.0.0.1', ['64:ff9b::a00:1'], '64:ff9b::a00:1'],
    ['unique-local fd00::1', ['fd00::1'], 'fd00::1'],
    ['unspecified 0.0.0.0', ['0.0.0.0'], '0.0.0.0'],
    // DNS rebinding in one answer: a public-looking first answer, loopback behind it.
    ['public then loopback', ['93.184.215.14', '127.0.0.1'], '127.0.0.1'],
    ['public then private (multi-answer, refuse if any)', ['93.184.215.14', '10.0.0.1'], '10.0.0.1'],
    ['public IPv6 then link-local', ['2606:4700:4700::1111', 'fe80::1'], 'fe80::1'],
  ];
  for (const [label, answers, address] of refused) {
    for (const all of [false, true]) {
      test(`${label} is refused (all=${all})`, async () => {
        const { lookup } = lookupFor(answers, strict);
        await expectRefused(runLookup(lookup, 'client.test', all), 'special_purpose_address', address);
      });
    }
  }

  test('public answers pass, all of them with all=true and the first with all=false', async () => {
    const answers = ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'];
    const { lookup } = lookupFor(answers, strict);
    assert.deepEqual(await runLookup(lookup, 'client.test', true), {
      address: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
      ],
      family: undefined,
    });
    assert.deepEqual(await runLookup(lookup, 'client.test', false), { address: '93.184.215.14', family: 4 });
  });

  test('a family request filters the checked answers', async () => {
    const { lookup } = lookupFor(['93.184.215.14', '2606:4700:4700::1111'], strict);
    assert.deepEqual(await runLookup(lookup, 'client.test', false, 6), {
      address: '2606:4700:4700::1111',
      family: 6,
    });
    const v4only = lookupFor(['93.184.215.14'], strict);
    await expectRefused(runLookup(v4only.lookup, 'client.test', false, 6), 'dns_failure');
  });

  test('one resolution per lookup: the answer checked is the answer returned', async () => {
    const { lookup, calls } = lookupFor(['93.184.215.14'], strict);
    await runLookup(lookup, 'client.test', false);
    assert.deepEqual(calls, ['client.test']);
  });

  test('resolver failures, empty answers and non-addresses are dns_failure', async () => {
    const missing = createCheckedLookup(stubResolver({}).resolver, strict);
    await expectRefused(runLookup(missing, 'nowhere.test', false), 'dns_failure');
    await expectRefused(runLookup(lookupFor([], strict).lookup, 'client.test', false), 'dns_failure');
    const garbage = lookupFor([{ address: 'not-an-ip', family: 4 }], strict);
    await expectRefused(runLookup(garbage.lookup, 'client.test', false), 'dns_failure');
  });
});

describe('allowLoopback (CIMD-FETCH-7) opens loopback and nothing else', () => {
  const allowed = ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1'];
  for (const address of allowed) {
    test(`${address} is allowed in development`, async () => {
      assert.equal(isAddressAllowed(address, dev), true);
      assert.equal(isAddressAllowed(address, strict), false);
      const { lookup } = lookupFor([address], dev);
      const r = await runLookup(lookup, 'client.test', false);
      assert.ok('address' in r);
      assert.equal(r.address, address);
    });
  }

  const stillRefused = [
    '10.0.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '::',
    '192.168.1.1',
    'fe80::1',
    'fc00::1',
    // These wrap 127.0.0.1 but are routed off the machine (translator, relay, or nowhere).
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
    '::7f00:1',
  ];
  for (const address of stillRefused) {
    test(`${address} stays refused in development`, async () => {
      assert.equal(isAddressAllowed(address, dev), false);
      const { lookup } = lookupFor([address], dev);
      await expectRefused(runLookup(lookup, 'client.test', false), 'special_purpose_address', address);
    });
  }

  test('loopback mixed with a private answer is refused as a whole', async () => {
    const { lookup } = lookupFor(['127.0.0.1', '10.0.0.1'], dev);
    await expectRefused(runLookup(lookup, 'client.test', true), 'special_purpose_address', '10.0.0.1');
  });
});
