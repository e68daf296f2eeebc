/** The fetcher's options and hooks: invalid limits are programming errors, a throwing onRefusal hook changes nothing. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSafeFetch } from '../src/index.ts';
import { at, devFetch, refusal, serveFixtureOrigin } from './support/fixture-origin.ts';

serveFixtureOrigin();

test('invalid limits are programming errors, not refusals', async () => {
  assert.throws(() => createSafeFetch({ maxBytes: 0 }), TypeError);
  assert.throws(() => createSafeFetch({ deadlineMs: -1 }), TypeError);
  assert.throws(() => createSafeFetch({ caMode: 'replace' }), TypeError);
  const { safeFetch, refusals } = devFetch();
  await assert.rejects(safeFetch(at('/doc'), { maxBytes: 1.5 }), TypeError);
  assert.equal(refusals.length, 0);
});

test('a throwing onRefusal hook does not change the outcome', async () => {
  const { safeFetch } = devFetch({
    onRefusal: () => {
      throw new Error('metrics down');
    },
  });
  await refusal(safeFetch(at('/status-404')), 'status_not_200');
});
