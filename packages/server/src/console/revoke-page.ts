/**
 * "Revoke all" (issue #15): the blast radius of a client or a domain first (the inventory's dry
 * run, the counts of what would end), then the admin's own password again, then the revocation
 * through the inventory's `revokeReach` (the admin API's POST /admin/v1/blast-radius/revocations).
 */

import { OAuthError } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { noteOutcome } from '../http/request-outcome.ts';
import type { ReachTarget } from '../inventory/client-inventory.ts';
import { messagesFor } from '../messages/catalogue.ts';
import type { ConsoleCall, ConsoleDeps, ConsolePage } from './console-call.ts';
import { consoleResponse, csrfField } from './console-layout.ts';

const M = messagesFor().console;

const R = M.revoke;

/** The one target a revocation names (client_id or domain), as the inventory reads it. */
export function reachTargetOfForm(values: ReadonlyMap<string, string>): ReachTarget {
  const clientId = values.get('client_id');
  const domain = values.get('domain');
  if (clientId !== undefined && clientId !== '' && (domain ?? '') === '') return { clientId };
  if (domain !== undefined && domain !== '' && (clientId ?? '') === '') return { domain };
  throw new OAuthError('invalid_request', {
    reason: 'console_form_invalid',
    description: 'name either a client_id or a domain',
  });
}

export async function revokeConfirmation(
  deps: Pick<ConsoleDeps, 'inventory'>,
  call: ConsoleCall,
  target: ReachTarget,
  state: { wrongPassword?: boolean } = {},
): Promise<Response> {
  const { frame } = call;
  const reach = await deps.inventory.reach(target);
  const [name, value] =
    'clientId' in target ? ['client_id', target.clientId] : ['domain', (target as { domain: string }).domain];
  const back =
    name === 'client_id'
      ? `${frame.base}/client?client_id=${encodeURIComponent(value)}`
      : `${frame.base}/domains?domain=${encodeURIComponent(value)}`;
  if (state.wrongPassword === true)
    noteOutcome(call.request, { error: 'access_denied', reason: 'console_password_refused' });
  const body = html`<h1>${R.heading(value)}</h1>
${state.wrongPassword === true ? html`<p class="error" role="alert">${R.wrongPassword}</p>` : ''}
<p>${R.counts}</p>
<dl class="facts">
<dt>${M.client.users}</dt><dd>${reach.usersWithLiveGrants}</dd>
<dt>${M.client.installations}</dt><dd>${reach.installations}</dd>
<dt>${M.client.grants}</dt><dd>${reach.grants}</dd>
<dt>${M.client.liveFamilies}</dt><dd>${reach.liveFamilies}</dd>
<dt>${M.nav.clients}</dt><dd>${reach.clients.length}</dd>
</dl>
<p>${R.clientTokens}</p>
<form class="stack" method="post" action="${frame.base}/revoke">${csrfField(frame)}
<input type="hidden" name="${name}" value="${value}"><input type="hidden" name="return" value="${back}">
<label for="confirm-password">${R.confirmPassword}</label>
<input id="confirm-password" name="password" type="password" autocomplete="current-password" required>
<p><button class="danger" type="submit">${R.confirm}</button></p>
</form>`;
  return consoleResponse(R.title, frame, 'domain' in target ? 'domains' : 'clients', body, {
    status: state.wrongPassword === true ? 403 : 200,
  });
}

export function revokePage(deps: ConsoleDeps): ConsolePage {
  return (call) => revokeConfirmation(deps, call, reachTargetOfForm(new Map(call.url.searchParams)));
}
