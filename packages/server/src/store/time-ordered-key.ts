import { randomToken } from '../crypto/digest.ts';

/**
 * The ids of pushed and interaction requests start with their time. A B-tree index keyed by a
 * random value puts each insert on a random leaf page, and every page a commit dirties is one more
 * 4 KiB WAL frame, written again by the checkpoint (SQLite) or one more dirty page (PostgreSQL);
 * ids that grow with time put one commit's inserts on the index's newest pages. In the bench a
 * pushed request went from 7.5 to 2.8 KB written to storage and from 56 to 45 µs of the server's
 * CPU (docs/benchmarks.md, issue #18 finding 11, fourth pass).
 *
 * The time says nothing the row's expiry does not; the random part keeps the id as unguessable as
 * before.
 */

/** Base-36 digits of a millisecond time: nine hold every time until the year 5188. */
export const TIME_DIGITS = 9;

/** `milliseconds` (since the epoch) as a fixed-width base-36 prefix that sorts as time does. */
export function timePrefix(milliseconds: number): string {
  return Math.max(0, Math.floor(milliseconds)).toString(36).padStart(TIME_DIGITS, '0');
}

/** A fresh 256-bit random token (randomToken) behind the time prefix of `now`: base64url. */
export function timeOrderedToken(now: number): string {
  return `${timePrefix(now)}${randomToken()}`;
}
