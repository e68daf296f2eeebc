/**
 * The in-memory DPoP replay guard (RFC 9449 §11.1, AT-11): one caller gets true per key until it
 * expires, and the bound drops expired entries before it drops a live one (decision 0023).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryReplayGuard } from '../src/index.ts';

describe('memory replay guard', () => {
  it('remembers a key until it expires, then accepts it again', async () => {
    const guard = createMemoryReplayGuard(10);
    assert.equal(await guard.remember('a', 1000, 0), true);
    assert.equal(await guard.remember('a', 1000, 999), false);
    assert.equal(await guard.remember('a', 2000, 1000), true);
  });

  it('when full, drops expired entries before any live one', async () => {
    const guard = createMemoryReplayGuard(2);
    assert.equal(await guard.remember('early', 100, 0), true);
    assert.equal(await guard.remember('late', 1000, 0), true);
    // `early` expired at 100: it makes the room, so `late` is still remembered.
    assert.equal(await guard.remember('new', 1000, 200), true);
    assert.equal(await guard.remember('late', 1000, 200), false);
    assert.equal(await guard.remember('new', 1000, 200), false);
  });

  it('when full of live entries, drops the least recently remembered one', async () => {
    const guard = createMemoryReplayGuard(2);
    await guard.remember('first', 1000, 0);
    await guard.remember('second', 1000, 0);
    await guard.remember('third', 1000, 0);
    assert.equal(await guard.remember('second', 1000, 0), false);
    assert.equal(await guard.remember('third', 1000, 0), false);
    // Dropping a live entry reopens its replay window: the documented price of the bound.
    assert.equal(await guard.remember('first', 1000, 0), true);
  });
});
