/**
 * What a scope lets an application do, in words, for scopes the server itself knows (the profiles'
 * scopes). A resource's own descriptions (`resources[].scope_descriptions`) come first, then the
 * profile's (AT Protocol scopes, profiles/atproto-scope-descriptions.ts), then these.
 */
export const scopeMessages = {
  known: {
    offline_access: 'stay connected when you are not using it (it may renew its access by itself)',
    'mcp:tools': 'use the tools this server offers, as you',
  } as Readonly<Record<string, string>>,
  /** For a scope nobody described: the bare name is shown, said to be undescribed. */
  undescribed: 'no description given',
};
