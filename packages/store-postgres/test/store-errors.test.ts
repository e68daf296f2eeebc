/** Which errors isStoreUnavailable calls "the database cannot be reached" (503), table-driven. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreUnavailable, markStoreUnavailable, STORE_UNAVAILABLE } from '../src/index.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isStoreUnavailable', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['connection refused', withCode('ECONNREFUSED'), true],
    ['connection reset', withCode('ECONNRESET'), true],
    [
      'admin shutdown (pg_ctl stop -m fast)',
      withCode('57P01', 'terminating connection due to administrator command'),
      true,
    ],
    ['still starting up', withCode('57P03', 'the database system is starting up'), true],
    ['connection exception class 08', withCode('08006'), true],
    ['too many connections', withCode('53300'), true],
    ['dropped connection', new Error('Connection terminated unexpectedly'), true],
    ['pool wait timed out', new Error('timeout exceeded when trying to connect'), true],
    ['localhost: every address refused', new AggregateError([withCode('ECONNREFUSED')]), true],
    ['unique violation: a bug, not an outage', withCode('23505'), false],
    ['syntax error', withCode('42601'), false],
    ['serialization failure left after retries', withCode('40001'), false],
    ['any other error', new Error('boom'), false],
    ['not an error', 'ECONNREFUSED', false],
    ['nothing', undefined, false],
  ];
  for (const [name, error, expected] of cases) {
    it(`${name}: ${expected}`, () => assert.equal(isStoreUnavailable(error), expected));
  }

  it('markStoreUnavailable marks only unavailable errors, keeping the error itself', () => {
    const refused = withCode('ECONNREFUSED');
    assert.equal(markStoreUnavailable(refused), refused);
    assert.equal((refused as unknown as Record<symbol, unknown>)[STORE_UNAVAILABLE], true);
    assert.equal(Object.keys(refused).includes('code'), true, 'the code is kept');
    const unique = withCode('23505');
    markStoreUnavailable(unique);
    assert.equal((unique as unknown as Record<symbol, unknown>)[STORE_UNAVAILABLE], undefined);
    // The server reads the mark by the same registered symbol, without importing this package.
    assert.equal(STORE_UNAVAILABLE, Symbol.for('gatehouse.store_unavailable'));
  });
});
