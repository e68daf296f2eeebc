import { type AdminTokenView, adminTokenJson, createAdminTokens, type Store } from '@gatehouse-oauth/server';
import { cliActor } from '../cli-lifecycle.ts';
import { UsageError } from '../usage-error.ts';
import { positiveInteger } from './registration-tokens.ts';

const USAGE =
  'usage: gatehouse admin-tokens issue --scope read|write [--label L] [--expires-in SECONDS]' +
  ' | admin-tokens list [--json] | admin-tokens revoke <id>';

/**
 * `gatehouse admin-tokens issue|list|revoke`: the bearer tokens of the admin HTTP API
 * (docs/admin-api.md). The token is printed once and only its digest is stored, like registration
 * tokens and client secrets; issuing and revoking are audited with the actor `cli:<os user>`, the
 * same service `server.admin.tokens` is.
 */
export async function adminTokensCommand(
  store: Store,
  args: readonly string[],
  flags: {
    scope?: string | undefined;
    label?: string | undefined;
    expiresIn?: string | undefined;
    json?: boolean | undefined;
  },
): Promise<void> {
  const [action, id, ...extra] = args;
  if (extra.length > 0) throw new UsageError(USAGE);
  const tokens = createAdminTokens({
    store: store.adminTokens,
    audit: (event) => store.audit.append({ at: Date.now(), ...event }),
    clock: Date.now,
  });
  if (action === 'issue' && id === undefined) {
    const scope = flags.scope;
    if (scope !== 'read' && scope !== 'write')
      throw new UsageError(`admin-tokens issue needs --scope read or --scope write; ${USAGE}`);
    if (flags.label !== undefined && (flags.label.length === 0 || flags.label.length > 200))
      throw new UsageError('--label takes 1 to 200 characters');
    const { token, issued } = await tokens.issue({
      scope,
      label: flags.label,
      expiresInSeconds:
        flags.expiresIn === undefined ? undefined : positiveInteger('--expires-in', flags.expiresIn),
      actor: cliActor(),
    });
    process.stdout.write(`issued admin token ${issued.id} (${describe(issued)})\n`);
    process.stdout.write(`admin_token: ${token}\n(shown once; only its digest is stored)\n`);
    return;
  }
  if (action === 'list' && id === undefined) {
    const listed = await tokens.list();
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(listed.map(adminTokenJson), null, 2)}\n`);
      return;
    }
    for (const token of listed) {
      const expires = token.expiresAt === undefined ? 'never expires' : `expires ${iso(token.expiresAt)}`;
      process.stdout.write(
        `${token.id}\t${token.state}\t${token.scope}\t${expires}\tcreated ${iso(token.createdAt)} by ${token.createdBy}\t${token.label ?? ''}\n`,
      );
    }
    return;
  }
  if (action === 'revoke' && id !== undefined) {
    const outcome = await tokens.revoke(id, { actor: cliActor() });
    if (outcome === 'unknown') throw new UsageError(`no admin token ${id}`);
    process.stdout.write(
      outcome === 'revoked' ? `revoked admin token ${id}\n` : `admin token ${id} was already revoked\n`,
    );
    return;
  }
  throw new UsageError(USAGE);
}

function describe(token: AdminTokenView): string {
  return [
    `scope ${token.scope}`,
    ...(token.label === undefined ? [] : [`label ${JSON.stringify(token.label)}`]),
    token.expiresAt === undefined ? 'never expires: revoke it when done' : `expires ${iso(token.expiresAt)}`,
  ].join(', ');
}

const iso = (time: number) => new Date(time).toISOString();
