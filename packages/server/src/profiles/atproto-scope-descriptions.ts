import {
  AccountPermission,
  BlobPermission,
  IdentityPermission,
  IncludeScope,
  type LexiconPermissionSet,
  RepoPermission,
  RpcPermission,
} from '@atproto/oauth-scopes';

/**
 * AT-14: the consent page "describes the scopes". What an atproto scope lets the client do, in
 * words: the transitional scopes, and the granular permissions of the Permission spec as
 * `@atproto/oauth-scopes` reads them (AT-16; a scope the library does not read is shown by name
 * only); undefined for anything else. A permission set is described by what it expands to
 * (describePermissionSet), its publisher's title and detail quoted as the publisher's words.
 */
export function describeAtprotoScope(scope: string): string | undefined {
  if (Object.hasOwn(FIXED, scope)) return FIXED[scope];
  const repo = RepoPermission.fromString(scope);
  if (repo !== null) {
    const kinds = repo.collection.includes('*') ? 'any kind' : listed(repo.collection);
    return `${listed(repo.action)} records of type ${kinds} in your repository`;
  }
  const rpc = RpcPermission.fromString(scope);
  if (rpc !== null) {
    const methods = rpc.lxm.includes('*') ? 'any method' : listed(rpc.lxm);
    const where = rpc.aud === '*' ? 'any service' : `the service ${rpc.aud}`;
    return `call ${methods} on ${where} as you`;
  }
  const blob = BlobPermission.fromString(scope);
  if (blob !== null)
    return `upload files (${blob.accept.includes('*/*') ? 'any type' : listed(blob.accept)})`;
  const account = AccountPermission.fromString(scope);
  if (account !== null) {
    return `${account.action.includes('manage') ? 'manage' : 'see'} your account's ${ACCOUNT_ATTRIBUTES[account.attr]}`;
  }
  const identity = IdentityPermission.fromString(scope);
  if (identity !== null) {
    return `change your identity (${identity.attr === '*' ? 'handle and DID document' : identity.attr})`;
  }
  const include = IncludeScope.fromString(scope);
  if (include !== null) return `the permission set ${include.nsid}, as its publisher defines it`;
  return undefined;
}

/**
 * An `include:` scope in words, from its resolved set (AT-14, AT-16): the publisher's title and
 * detail, quoted and labelled as theirs (like a client's own name), then what the set grants here,
 * each permission described, so the user sees what they allow rather than a name.
 */
export function describePermissionSet(scope: string, set: LexiconPermissionSet): string | undefined {
  const include = IncludeScope.fromString(scope);
  if (include === null) return undefined;
  const words = [`the permission set ${include.nsid}`];
  if (set.title !== undefined) words.push(`, which its publisher calls “${set.title}”`);
  if (set.detail !== undefined) words.push(` (“${set.detail}”)`);
  const granted = include.toScopes(set).map((permission) => describeAtprotoScope(permission) ?? permission);
  words.push(granted.length === 0 ? ': it grants nothing this server can read' : `: ${granted.join('; ')}`);
  return words.join('');
}

const FIXED: Record<string, string> = {
  atproto: 'know which account you are (your DID)',
  'transition:generic':
    'read and write your public data (posts, likes, follows, profile) and upload media, like an app password; not your direct messages or account settings',
  'transition:chat.bsky': 'read and send your direct messages',
  'transition:email': "see your account's email address",
};

const ACCOUNT_ATTRIBUTES: Record<string, string> = {
  email: 'email address',
  repo: 'repository as a whole (import, export)',
  status: 'status (activate or deactivate it)',
};

/** `a`, `a and b`, `a, b and c`. */
function listed(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} and ${values.at(-1)}`;
}
