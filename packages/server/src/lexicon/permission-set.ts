import type { LexiconPermission, LexiconPermissionSet } from '@atproto/oauth-scopes';

/**
 * A Lexicon permission set (AT Protocol Permission spec; AT-16): the `main` definition of a
 * Lexicon schema document whose `type` is `permission-set`, read from whatever JSON a resolver
 * returned. Pure. Only the document's frame is checked here (schema version, its `id` is the NSID
 * asked for, a `permission-set` with a list of permissions); what each permission says is the
 * library's to read when the set is expanded (`IncludeScope.toScopes`), and entries it cannot read
 * are ignored there (AT-16: "unknown entries are ignored"). Entries that are not even permission
 * objects are dropped here for the same reason.
 */

/** Why a document is not a usable permission set; the text is safe to show the client. */
export class PermissionSetInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionSetInvalid';
  }
}

/** At most this many entries are kept: a set is a handful of permissions, not a list to walk. */
export const MAX_PERMISSIONS = 256;
/** The publisher's title and detail are shown on the consent page, quoted; at most this long. */
const MAX_TITLE = 200;
const MAX_DETAIL = 1000;

export function permissionSetOf(document: unknown, nsid: string): LexiconPermissionSet {
  if (!isRecord(document) || document.lexicon !== 1) {
    throw new PermissionSetInvalid('the record is not a Lexicon schema document (lexicon: 1)');
  }
  if (document.id !== nsid) throw new PermissionSetInvalid(`the Lexicon document's id is not ${nsid}`);
  const main = isRecord(document.defs) ? document.defs.main : undefined;
  if (!isRecord(main) || main.type !== 'permission-set') {
    throw new PermissionSetInvalid('the Lexicon document does not define a permission-set as main');
  }
  if (!Array.isArray(main.permissions)) {
    throw new PermissionSetInvalid('the permission set has no list of permissions');
  }
  const permissions = main.permissions.filter(isPermission).slice(0, MAX_PERMISSIONS);
  return {
    type: 'permission-set',
    permissions,
    ...(typeof main.title === 'string' ? { title: main.title.slice(0, MAX_TITLE) } : {}),
    ...(typeof main.detail === 'string' ? { detail: main.detail.slice(0, MAX_DETAIL) } : {}),
  };
}

function isPermission(entry: unknown): entry is LexiconPermission {
  return isRecord(entry) && entry.type === 'permission' && typeof entry.resource === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
