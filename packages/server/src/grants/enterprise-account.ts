import type { JWTPayload } from 'jose';
import type { ServerContext } from '../context.ts';
import { refuseGrant } from './jwt-bearer-assertion.ts';
import type { IdentityProvider } from './jwt-bearer-settings.ts';

/**
 * The local account an ID-JAG's subject is (MCP-EXT-EMA: "link accounts by sub, falling back to
 * email"), by one documented rule (docs/agents.md):
 * 1. by `sub`: the account named `<issuer without scheme>#<sub>`, the name an account provisioned
 *    for that subject gets, and the one an operator gives an account to link it by hand: an IdP's
 *    `sub` is unique only within that IdP, so the name carries the IdP;
 * 2. by `email`, only when the IdP is configured with `linkByEmail` (the operator trusts it to
 *    assert its users' addresses) and the assertion does not say `email_verified: false`: the
 *    account whose name is that address, in lower case;
 * 3. else, with `accounts: provision`, a new account named as in 1, with no password (it cannot
 *    sign in on the login page), audited as `user.provisioned`; with `accounts: existing`, refused.
 */
export async function enterpriseAccount(
  ctx: Pick<ServerContext, 'store' | 'audit' | 'clock'>,
  idp: IdentityProvider,
  payload: JWTPayload & { email?: unknown; email_verified?: unknown },
  clientId: string,
): Promise<string> {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub === '' || sub.length > 256)
    throw refuseGrant('jwt_bearer_malformed', 'the ID-JAG must carry a sub');
  const linkName = `${idp.trusted.issuer.replace(/^https:\/\//, '')}#${sub}`;
  const linked = await ctx.store.users.findByUsername(linkName);
  if (linked !== undefined) return linked.id;
  if (idp.linkByEmail && typeof payload.email === 'string' && payload.email_verified !== false) {
    const byEmail = await ctx.store.users.findByUsername(payload.email.toLowerCase());
    if (byEmail !== undefined) return byEmail.id;
  }
  if (idp.accounts !== 'provision')
    throw refuseGrant('id_jag_account_unknown', 'no account here is linked to this enterprise subject');
  const id = crypto.randomUUID();
  // No password hash verifies ('!' is no scrypt record): the account exists for its grants only.
  const created = await ctx.store.users.create({
    id,
    username: linkName,
    passwordHash: '!',
    createdAt: ctx.clock(),
  });
  if (!created) {
    // Another request provisioned it a moment ago (usernames are unique across instances).
    const again = await ctx.store.users.findByUsername(linkName);
    if (again !== undefined) return again.id;
    throw refuseGrant('id_jag_account_unknown', 'the account for this enterprise subject could not be made');
  }
  await ctx.audit({
    type: 'user.provisioned',
    clientId,
    userId: id,
    detail: { username: linkName, issuer: idp.trusted.issuer, sub },
  });
  return id;
}
