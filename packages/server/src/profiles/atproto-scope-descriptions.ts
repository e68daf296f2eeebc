/**
 * AT-14: the consent page "describes the scopes". What an atproto scope lets the client do, in
 * words, for the scopes of the atproto spec (the transitional ones and the granular permission
 * families of the Permission spec); undefined for anything else, which is then shown by name only.
 * Permission sets (`include:`) are named but not expanded: resolving them is AT-16, not done.
 */
export function describeAtprotoScope(scope: string): string | undefined {
  const fixed: Record<string, string> = {
    atproto: 'know which account you are (your DID)',
    'transition:generic':
      'read and write your public data (posts, likes, follows, profile) and upload media, like an app password; not your direct messages or account settings',
    'transition:chat.bsky': 'read and send your direct messages',
    'transition:email': "see your account's email address",
  };
  if (Object.hasOwn(fixed, scope)) return fixed[scope];
  // `family:resource?query`, or `family?query` with the resource among the parameters.
  const match = /^([a-z]+)(?::([^?]*))?(?:\?(.*))?$/.exec(scope);
  if (match === null || (match[2] === undefined && match[3] === undefined)) return undefined;
  const family = match[1]!;
  const resource = match[2] ?? '';
  const query = match[3] ?? '';
  const params = new URLSearchParams(query);
  const target = resource === '' ? (params.get('collection') ?? params.get('lxm') ?? '') : resource;
  switch (family) {
    case 'repo': {
      const actions = params.getAll('action');
      const verbs = actions.length === 0 ? 'create, update and delete' : actions.join(', ');
      return `${verbs} records of type ${target === '*' ? 'any kind' : target} in your repository`;
    }
    case 'rpc':
      return `call ${target === '*' ? 'any method' : target} on other services as you${params.has('aud') ? ` (${params.get('aud')})` : ''}`;
    case 'blob':
      return `upload files (${target || params.getAll('accept').join(', ') || 'any type'})`;
    case 'account':
      return `${params.get('action') === 'manage' ? 'manage' : 'see'} your account's ${target}`;
    case 'identity':
      return `change your identity (${target === '*' ? 'handle and DID document' : target})`;
    case 'include':
      return `the permission set ${target}, as its publisher defines it`;
    default:
      return undefined;
  }
}
