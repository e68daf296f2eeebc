/**
 * What the console's buttons do (issue #15, decision 0040): each calls the service the admin API
 * operation of the same name calls (governance approve/block/unblock, the inventory's operator
 * fields and its "revoke all"), with the actor `console:<user name>`, and then sends the browser
 * back to the page it came from with a notice (POST, redirect, GET: a reload repeats nothing).
 */
import { OAuthError, TRUST_TIERS, type TrustTier } from '@gatehouse-oauth/core';
import { localPasswordAuthentication } from '../users/user-authentication.ts';
import type { ConsoleCall, ConsoleDeps, ConsolePage } from './console-call.ts';
import { seeOther } from './console-layout.ts';
import { reachTargetOfForm, revokeConfirmation } from './revoke-page.ts';

/** Notices a page shows after an action: a key of the catalogue's console.done and its target. */
export type Notice =
  | 'approved'
  | 'blocked'
  | 'unblocked'
  | 'ownerSaved'
  | 'revoked'
  | 'tierSet'
  | 'ruleDeleted'
  | 'userChanged'
  | 'connectionRevoked';

/** Back to `return` when it is a console page, else the overview; with the notice in the query. */
function back(
  call: ConsoleCall,
  notice: Notice,
  target: string,
  extra: Record<string, string> = {},
): Response {
  const asked = call.form.get('return') ?? '';
  const base = call.frame.base;
  const path = asked.startsWith(`${base}/`) && !asked.startsWith(`${base}//`) ? asked : base;
  const url = new URL(path, call.url);
  url.searchParams.set('done', notice);
  url.searchParams.set('target', target);
  for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value);
  return seeOther(`${url.pathname}${url.search}`);
}

function required(call: ConsoleCall, name: string): string {
  const value = call.form.get(name)?.trim() ?? '';
  if (value === '')
    throw new OAuthError('invalid_request', {
      reason: 'console_form_invalid',
      description: `${name} is missing`,
    });
  return value;
}

function tierOf(call: ConsoleCall): TrustTier | undefined {
  const tier = call.form.get('tier') ?? '';
  if (tier === '') return undefined;
  if (!(TRUST_TIERS as readonly string[]).includes(tier))
    throw new OAuthError('invalid_request', {
      reason: 'console_form_invalid',
      description: `no tier ${tier}`,
    });
  return tier as TrustTier;
}

export function consoleActions(
  deps: ConsoleDeps,
): Record<
  | 'approve'
  | 'block'
  | 'unblock'
  | 'owner'
  | 'revoke'
  | 'setTier'
  | 'deleteRule'
  | 'user'
  | 'revokeConnection',
  ConsolePage
> {
  return {
    approve: async (call) => {
      const target = required(call, 'target');
      const tier = tierOf(call);
      await deps.governance.approve(target, { actor: call.actor, ...(tier === undefined ? {} : { tier }) });
      return back(call, 'approved', target);
    },
    block: async (call) => {
      const target = required(call, 'target');
      const reason = call.form.get('reason')?.trim() ?? '';
      const result = await deps.governance.block(target, {
        actor: call.actor,
        ...(reason === '' ? {} : { reason }),
      });
      return back(call, 'blocked', target, { revoked: String(result.revoked.length) });
    },
    unblock: async (call) => {
      const target = required(call, 'target');
      await deps.governance.unblock(target, { actor: call.actor });
      return back(call, 'unblocked', target);
    },
    setTier: async (call) => {
      const target = required(call, 'target');
      const tier = tierOf(call);
      if (tier === undefined)
        throw new OAuthError('invalid_request', {
          reason: 'console_form_invalid',
          description: 'choose a tier',
        });
      await deps.governance.setTier(target, { actor: call.actor, tier });
      return back(call, 'tierSet', target);
    },
    user: async (call) => {
      const name = required(call, 'user');
      const flag = (field: string) => {
        const value = call.form.get(field);
        return value === 'true' ? true : value === 'false' ? false : undefined;
      };
      const password = call.form.get('password');
      const result = await deps.userAdmin.update(
        name,
        {
          disabled: flag('disabled'),
          admin: flag('admin'),
          password: password === '' ? undefined : password,
        },
        { actor: call.actor },
      );
      return back(call, 'userChanged', result.user.username);
    },
    revokeConnection: async (call) => {
      const revoked = await deps.inventory.connections.revoke(required(call, 'grant_id'), {
        actor: call.actor,
      });
      return back(call, 'connectionRevoked', revoked.clientId);
    },
    deleteRule: async (call) => {
      const target = required(call, 'target');
      await deps.governance.deleteRule(target, { actor: call.actor });
      return back(call, 'ruleDeleted', target);
    },
    owner: async (call) => {
      const clientId = required(call, 'client_id');
      const text = (name: string) => {
        const value = call.form.get(name)?.trim() ?? '';
        return value === '' ? null : value;
      };
      await deps.inventory.setOperatorFields(
        clientId,
        { owner: text('owner'), team: text('team'), contact: text('contact'), note: text('note') },
        { actor: call.actor },
      );
      return back(call, 'ownerSaved', clientId);
    },
    revoke: async (call) => {
      const target = reachTargetOfForm(call.form);
      // The fresh password prompt: the signed-in admin's own password again, through the same check.
      const proven = await localPasswordAuthentication(deps.users)({
        username: call.signIn.user.username,
        password: call.form.get('password') ?? '',
        form: call.form,
      });
      if (proven?.id !== call.signIn.user.id)
        return revokeConfirmation(deps, call, target, { wrongPassword: true });
      const done = await deps.inventory.revokeReach(target, { actor: call.actor });
      return back(
        call,
        'revoked',
        'clientId' in target ? target.clientId : `domain:${(target as { domain: string }).domain}`,
        {
          grants: String(done.grantsRevoked),
          families: String(done.familiesRevoked),
        },
      );
    },
  };
}
