/**
 * Access tokens a client holds for itself (client_credentials, MCP-EXT-CC): no user, no session,
 * so no token family is stored for them. Their `jti` still starts with a family-like id (the
 * shape access-token.ts gives every token), marked with a prefix no stored family id has (those are
 * UUIDs): introspection then knows not to look for a family or a user, and answers from the client's
 * standing and the revoked-jti list alone (decision 0042).
 */
const CLIENT_TOKEN_PREFIX = 'client-';

/** A fresh family-like id for one client token (no dot: the jti's family part ends at the first). */
export function clientTokenFamilyId(): string {
  return `${CLIENT_TOKEN_PREFIX}${crypto.randomUUID()}`;
}

/** Whether the family part of an access token's jti marks a token a client holds for itself. */
export function isClientTokenFamilyId(familyId: string): boolean {
  return familyId.startsWith(CLIENT_TOKEN_PREFIX);
}
