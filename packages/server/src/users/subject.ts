import { OAuthError } from '@gatehouse-oauth/core';
import type { UserStore } from '../store/store.ts';

/**
 * Who a token is about: the `sub` of access tokens (RFC 9068 §2.2), of introspection answers
 * (RFC 7662 §2.2) and, in the AT Protocol profile, of the token response (AT-10). By default it is
 * the user's id in the store. A service with its own identifiers supplies them: an AT Protocol PDS
 * maps each account to its DID (`did:plc:…`, `did:web:…`), which clients check against the DID
 * document before they trust the token (docs/atproto.md).
 */
export type SubjectSupplier = (user: { id: string; username: string }) => string | Promise<string>;

/** The longest subject accepted from a supplier; a DID is well under it. */
const MAX_SUBJECT_LENGTH = 2048;

/**
 * `userId` → `sub`. Without a supplier this is the id itself and reads nothing. With one, the user
 * is read from the store and the supplier's answer is checked (a non-empty string); a user that no
 * longer exists gets no token (invalid_grant, `user_unknown`).
 */
export function createSubjectResolver(
  users: UserStore,
  supplier: SubjectSupplier | undefined,
): (userId: string) => Promise<string> {
  if (supplier === undefined) return async (userId) => userId;
  return async (userId) => {
    const user = await users.get(userId);
    if (user === undefined) {
      throw new OAuthError('invalid_grant', {
        reason: 'user_unknown',
        description: 'the user this grant belongs to no longer exists',
      });
    }
    const subject = await supplier({ id: user.id, username: user.username });
    if (typeof subject !== 'string' || subject === '' || subject.length > MAX_SUBJECT_LENGTH) {
      // A programming error of the embedding application, not something the client can fix.
      throw new Error(`the subject supplier returned no usable subject for user ${userId}`);
    }
    return subject;
  };
}
