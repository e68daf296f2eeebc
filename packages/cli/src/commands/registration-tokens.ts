import { isOAuthError, parseScope } from '@gatehouse-oauth/core';
import { digest, type InitialAccessTokenRecord, randomToken, type Store } from '@gatehouse-oauth/server';
import { UsageError } from '../usage-error.ts';

const USAGE =
  'usage: gatehouse registration-tokens issue [--label L] [--max-uses N] [--expires-in SECONDS]' +
  ' [--scope "A B"]' +
  ' | registration-tokens list | registration-tokens revoke <id>';

/**
 * `gatehouse registration-tokens issue|list|revoke`: initial access tokens (RFC 7591 §3), which the
 * registration endpoint requires when its policy is "initial access token". The token is printed
 * once and only its digest is stored, like client secrets: the database never holds a usable token.
 * `--scope` limits what a client registered with the token may hold (docs/dcr.md, policies).
 */
export async function registrationTokensCommand(
  store: Store,
  args: readonly string[],
  flags: {
    label?: string | undefined;
    maxUses?: string | undefined;
    expiresIn?: string | undefined;
    scope?: string | undefined;
  },
): Promise<void> {
  const [action, id, ...extra] = args;
  if (extra.length > 0) throw new UsageError(USAGE);
  const now = Date.now();
  if (action === 'issue' && id === undefined) {
    const token = randomToken();
    const record: InitialAccessTokenRecord = {
      id: crypto.randomUUID(),
      digest: digest(token),
      createdAt: now,
      uses: 0,
    };
    if (flags.label !== undefined) record.label = flags.label;
    if (flags.maxUses !== undefined) record.maxUses = positiveInteger('--max-uses', flags.maxUses);
    if (flags.expiresIn !== undefined)
      record.expiresAt = now + positiveInteger('--expires-in', flags.expiresIn) * 1000;
    if (flags.scope !== undefined) record.scope = scopeLimit(flags.scope);
    await store.initialAccessTokens.create(record);
    await store.audit.append({
      at: now,
      type: 'initial_access_token.issued',
      detail: {
        id: record.id,
        label: record.label,
        max_uses: record.maxUses,
        expires_at: record.expiresAt,
        scope: record.scope,
        by: 'cli',
      },
    });
    process.stdout.write(`issued registration token ${record.id}${describeLimits(record)}\n`);
    process.stdout.write(`initial_access_token: ${token}\n(shown once; only its digest is stored)\n`);
    return;
  }
  if (action === 'list' && id === undefined) {
    for (const token of await store.initialAccessTokens.list()) {
      const uses = token.maxUses === undefined ? `${token.uses} uses` : `${token.uses}/${token.maxUses} uses`;
      const expires = token.expiresAt === undefined ? 'never expires' : `expires ${iso(token.expiresAt)}`;
      const scope = token.scope === undefined ? 'any scope' : `scope ${JSON.stringify(token.scope)}`;
      process.stdout.write(
        `${token.id}\t${state(token, now)}\t${uses}\t${expires}\t${scope}\tcreated ${iso(token.createdAt)}\t${token.label ?? ''}\n`,
      );
    }
    return;
  }
  if (action === 'revoke' && id !== undefined) {
    if (!(await store.initialAccessTokens.revoke(id, now)))
      throw new UsageError(`no registration token ${id}`);
    await store.audit.append({ at: now, type: 'initial_access_token.revoked', detail: { id, by: 'cli' } });
    process.stdout.write(`revoked registration token ${id}\n`);
    return;
  }
  throw new UsageError(USAGE);
}

/** A flag that must be a whole number above zero; anything else is a usage error, not a NaN stored. */
export function positiveInteger(flag: string, value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1)
    throw new UsageError(`${flag} takes a positive whole number, not ${value}`);
  return number;
}

/**
 * A scope limit: RFC 6749 §3.3 scope-tokens, stored normalised (single spaces, no duplicates). An
 * empty limit is refused: it would register clients that can obtain nothing, surely not meant.
 */
function scopeLimit(value: string): string {
  let scopes: string[];
  try {
    scopes = parseScope(value);
  } catch (error) {
    if (isOAuthError(error)) throw new UsageError(`--scope: ${error.description ?? 'malformed scope'}`);
    throw error;
  }
  if (scopes.length === 0) throw new UsageError('--scope takes at least one scope value');
  return scopes.join(' ');
}

function state(token: InitialAccessTokenRecord, now: number): string {
  if (token.revokedAt !== undefined) return 'revoked';
  if (token.expiresAt !== undefined && token.expiresAt <= now) return 'expired';
  if (token.maxUses !== undefined && token.uses >= token.maxUses) return 'used-up';
  return 'active';
}

function describeLimits(token: InitialAccessTokenRecord): string {
  const limits = [
    ...(token.label === undefined ? [] : [`label ${JSON.stringify(token.label)}`]),
    ...(token.maxUses === undefined ? [] : [`at most ${token.maxUses} registration(s)`]),
    ...(token.expiresAt === undefined ? [] : [`expires ${iso(token.expiresAt)}`]),
    ...(token.scope === undefined ? [] : [`scope ${JSON.stringify(token.scope)}`]),
  ];
  return limits.length === 0 ? ' (no use limit, no expiry)' : ` (${limits.join(', ')})`;
}

const iso = (time: number) => new Date(time).toISOString();
