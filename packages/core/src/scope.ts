import { OAuthError } from './oauth-error.ts';

/**
 * Scope strings, RFC 6749 §3.3: space-delimited, case-sensitive scope-tokens made of
 * %x21 / %x23-5B / %x5D-7E. Order carries no meaning, so duplicates are dropped.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function parseScope(value: string | undefined, redirectable = false): string[] {
  if (value === undefined) return [];
  const tokens = value.split(' ').filter((token) => token !== '');
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) {
      throw new OAuthError('invalid_scope', {
        reason: 'scope_malformed',
        description: 'scope contains characters RFC 6749 does not allow',
        redirectable,
      });
    }
  }
  return [...new Set(tokens)];
}

export function formatScope(scopes: Iterable<string>): string {
  return [...scopes].join(' ');
}

export function isSubset(
  subset: Iterable<string>,
  superset: ReadonlySet<string> | readonly string[],
): boolean {
  const container = superset instanceof Set ? superset : new Set(superset as readonly string[]);
  for (const scope of subset) if (!container.has(scope)) return false;
  return true;
}
