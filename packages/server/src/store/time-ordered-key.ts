import { randomToken } from '../crypto/digest.ts';

/**
 * Keys of rows written on the request paths and found only by equality (pushed and interaction
 * requests, DPoP proof ids) start with their time. A B-tree index keyed by a random value puts each
 * insert on a random leaf page, and every page a transaction touches is one more frame the commit
 * writes (SQLite WAL) or one more page to dirty (PostgreSQL); keys that grow with time put one
 * commit's inserts on the index's newest pages. On SQLite this took a pushed request from 18 to 12
 * µs of CPU (docs/benchmarks.md, issue #18 finding 11, fourth pass).
 *
 * The time says nothing the row's expiry does not; the random part keeps the key as unguessable as
 * before.
 */

/** Base-36 digits of a millisecond time: nine hold every time until the year 5188. */
const TIME_DIGITS = 9;

/** `milliseconds` (since the epoch) as a fixed-width base-36 prefix that sorts as time does. */
export function timePrefix(milliseconds: number): string {
  return Math.max(0, Math.floor(milliseconds)).toString(36).padStart(TIME_DIGITS, '0');
}

/** A fresh 256-bit random token (randomToken) behind the time prefix of `now`: base64url. */
export function timeOrderedToken(now: number): string {
  return `${timePrefix(now)}${randomToken()}`;
}
