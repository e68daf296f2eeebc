import { digest, randomToken } from '../crypto/digest.ts';

/**
 * Keys of rows written on the request paths and found only by equality (pushed and interaction
 * requests, DPoP proof ids, codes, token families) start with their time. A B-tree index keyed by a random value puts each
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

/**
 * A UUIDv7 (RFC 9562 §5.7): the 48-bit Unix time in milliseconds, then 74 random bits, for the
 * records whose ids were random UUIDs (token families). Made from a random v4 UUID: its first 48
 * bits become the time and its version nibble 7; the variant bits are the same in both.
 */
export function timeOrderedUuid(now: number): string {
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
  const random = crypto.randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}

/**
 * Codes (time-ordered tokens, 52 characters) are stored under their digest behind their own time
 * prefix, so the code table's index grows at its end too; any other value (a code issued before
 * codes carried a time) under its plain digest, so it is still found.
 */
export function timeOrderedDigest(value: string): string {
  return TIME_ORDERED_TOKEN.test(value) ? `${value.slice(0, TIME_DIGITS)}${digest(value)}` : digest(value);
}

const TIME_ORDERED_TOKEN = /^[0-9a-z]{9}[A-Za-z0-9_-]{43}$/;
