import { OAuthError } from '@gatehouse-oauth/core';
import type { UserStore } from '../store/store.ts';

/**
 * Who a token is about: the `sub` of access tokens (RFC 9068 §2.2), of introspection answers
 * (RFC 7662 §2.2) and, in the AT Protocol profile, of the token response (AT-10). By default it is
 * the account's stored `sub` (set with `gatehouse users add --sub` or `users set-sub`), else the
 * user's id in the store. A service with its own identifiers supplies them: an AT Protocol PDS
 * maps each account to its DID (`did:plc:…`, `did:web:…`), which clients check against the DID
 * document before they trust the token (docs/atproto.md).
 */
export type SubjectSupplier = (user: {
  id: string;
  username: string;
  sub?: string;
}) => string | Promise<string>;

/** The longest subject accepted from a supplier; a DID is well under it. */
const MAX_SUBJECT_LENGTH = 2048;

/**
 * `userId` → `sub`. Without a supplier: the stored `sub` when the account has one, else the id
 * (also for users the store does not hold: an embedding application's own accounts). With one, the
 * user is read from the store and the supplier's answer is checked (a non-empty string); a user
 * that no longer exists gets no token (invalid_grant, `user_unknown`).
 */
export function createSubjectResolver(
  users: UserStore,
  supplier: SubjectSupplier | undefined,
): (userId: string) => Promise<string> {
  if (supplier === undefined) return async (userId) => (await users.get(userId))?.sub ?? userId;
  return async (userId) => {
    const user = await users.get(userId);
    if (user === undefined) {
      throw new OAuthError('invalid_grant', {
        reason: 'user_unknown',
        description: 'the user this grant belongs to no longer exists',
      });
    }
    const subject = await supplier({
      id: user.id,
      username: user.username,
      ...(user.sub === undefined ? {} : { sub: user.sub }),
    });
    if (typeof subject !== 'string' || subject === '' || subject.length > MAX_SUBJECT_LENGTH) {
      // A programming error of the embedding application, not something the client can fix.
      throw new Error(`the subject supplier returned no usable subject for user ${userId}`);
    }
    return subject;
  };
}

/**
 * W3C DID Core §3.1 syntax: `did:` method-name `:` method-specific-id (ALPHA / DIGIT / . - _ : and
 * %-escapes, not ending in `:`). AT Protocol uses did:plc and did:web, but checks the DID document,
 * not the method, so any well-formed DID is accepted here.
 */
const DID = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$/;

/** What makes a stored subject unusable, or undefined when it is fine. */
export function subjectProblem(sub: string, options: { requireDid: boolean }): string | undefined {
  // Printable ASCII without spaces: a subject is compared byte for byte by every relying party and
  // shows up in logs and JWTs, where look-alike or invisible characters would only mislead.
  if (!/^[\x21-\x7e]{1,256}$/.test(sub))
    return 'a subject is 1-256 printable ASCII characters without spaces';
  if (options.requireDid && !DID.test(sub))
    return 'the atproto profile needs a DID as subject (AT-10), like did:plc:ewvi7nxzyoun6zhxrhs64oiz';
  return undefined;
}
