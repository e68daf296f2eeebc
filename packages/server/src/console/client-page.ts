/**
 * One client (issue #15): who it is (client_id, host, its self-asserted name and logo marked as
 * its own claim), the operator's owner fields (editable), state and tier with Approve, Block and
 * Unblock, the current document and its history (console history section), keys and redirects,
 * and its blast radius with "Revoke all" (the counts first, on the confirmation page).
 */
import { OAuthError, TRUST_TIERS } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import type { VersionDiff } from '../cimd/document-history.ts';
import type { InventoryDetail } from '../inventory/client-inventory.ts';
import { messagesFor } from '../messages/catalogue.ts';
import { historySection } from './client-history-section.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { consoleResponse, csrfField, formatTime, type PageFrame } from './console-layout.ts';
import { noticeOf } from './console-notice.ts';

const M = messagesFor().console;

const C = M.client;

/** Approve (with a tier), Block and Unblock of one selector, returning to `back`. */
export function governanceButtons(
  frame: PageFrame,
  target: string,
  back: string,
  label: string,
  state?: string,
) {
  return html`<form class="inline" method="post" action="${frame.base}/actions/approve">${csrfField(frame)}
<input type="hidden" name="target" value="${target}"><input type="hidden" name="return" value="${back}">
<label for="tier-${label}">${C.tierChoice}</label>
<select id="tier-${label}" name="tier"><option value="">—</option>${TRUST_TIERS.map((tier) => html`<option value="${tier}">${tier}</option>`)}</select>
<button class="primary" type="submit" aria-label="${C.approve} ${label}">${C.approve}</button></form>
<form class="inline" method="post" action="${frame.base}/actions/block">${csrfField(frame)}
<input type="hidden" name="target" value="${target}"><input type="hidden" name="return" value="${back}">
<button class="danger" type="submit" aria-label="${C.block} ${label}">${C.block}</button></form>
${
  state === 'blocked'
    ? html`<form class="inline" method="post" action="${frame.base}/actions/unblock">${csrfField(frame)}
<input type="hidden" name="target" value="${target}"><input type="hidden" name="return" value="${back}">
<button type="submit" aria-label="${C.unblock} ${label}">${C.unblock}</button></form>`
    : ''
}`;
}

function ownerForm(
  frame: PageFrame,
  clientId: string,
  back: string,
  fields: Record<string, string | undefined>,
) {
  const field = (name: 'owner' | 'team' | 'contact' | 'note', label: string) =>
    html`<label for="o-${name}">${label}</label><input id="o-${name}" type="text" name="${name}" value="${fields[name] ?? ''}">`;
  return html`<form class="stack" method="post" action="${frame.base}/actions/owner">${csrfField(frame)}
<input type="hidden" name="client_id" value="${clientId}"><input type="hidden" name="return" value="${back}">
${field('owner', C.owner)}${field('team', C.team)}${field('contact', C.contact)}${field('note', C.note)}
<p><button type="submit">${C.saveOwner}</button></p></form>`;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function clientPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const clientId = url.searchParams.get('client_id') ?? '';
    const detail = clientId === '' ? undefined : await deps.inventory.show(clientId);
    if (detail === undefined)
      throw new OAuthError('invalid_request', {
        status: 404,
        reason: 'client_not_found',
        description: `no client ${clientId} in the inventory`,
      });
    const from = url.searchParams.get('from') ?? undefined;
    const to = url.searchParams.get('to') ?? undefined;
    const [history, reach, driftPage] = await Promise.all([
      deps.history.history(clientId, { limit: 10 }),
      deps.inventory.reach({ clientId }),
      deps.auditLog.page(await deps.auditLog.filter({ clientId, type: 'client.drift_suspected' }), {
        limit: 10,
      }),
    ]);
    const diff: VersionDiff | undefined =
      from !== undefined && to !== undefined ? await deps.history.diff(clientId, from, to) : undefined;
    const back = `${frame.base}/client?client_id=${encodeURIComponent(clientId)}`;
    const current = history?.versions[0];
    const logo = (current === undefined ? undefined : safeLogo(current.body)) ?? undefined;
    const body = html`<h1>${C.title(clientId)}</h1>
${noticeOf(url)}
<h2>${C.identity}</h2>
<dl class="facts">
<dt>client_id</dt><dd><code>${clientId}</code></dd>
<dt>${C.host}</dt><dd>${detail.owningHosts.join(', ') || C.none}</dd>
<dt>${M.clients.name}</dt><dd>${detail.clientName ?? html`<span class="muted">${C.noName}</span>`} <span class="muted">${detail.clientNameSource === 'operator' ? C.byOperator : C.selfAsserted}</span></dd>
${logo === undefined ? '' : html`<dt>${C.logo}</dt><dd><code>${logo}</code> <span class="muted">${C.selfAsserted}</span></dd>`}
<dt>${M.overview.kind}</dt><dd>${detail.kind}</dd>
${sharedFacts(frame, detail)}
</dl>
<h2>${C.standing}</h2>
<dl class="facts">
<dt>${M.overview.state}</dt><dd><span class="pill state-${detail.state}">${detail.state}</span></dd>
<dt>${M.overview.tier}</dt><dd>${detail.tier}</dd>
<dt>${C.why}</dt><dd>${detail.reasons.join('; ')}</dd>
</dl>
<p>${governanceButtons(frame, clientId, back, clientId, detail.state)}</p>
<h2>${C.ownerFields}</h2>
${ownerForm(frame, clientId, back, { owner: detail.operator?.owner, team: detail.operator?.team, contact: detail.operator?.contact, note: detail.operator?.note })}
<h2>${C.document}</h2>
${current === undefined ? html`<p>${C.noDocument}</p>` : html`<pre tabindex="0">${pretty(current.body)}</pre>`}
${history === undefined ? '' : historySection(frame, history, { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }, diff, driftPage.events)}
<h2>${C.keysAndRedirects}</h2>
<dl class="facts">
<dt>${C.redirectUris}</dt><dd>${detail.redirectUris.length === 0 ? C.none : html`<ul>${detail.redirectUris.map((uri) => html`<li><code>${uri}</code></li>`)}</ul>`}</dd>
<dt>${C.keys}</dt><dd>${detail.keyThumbprints.length === 0 ? C.none : html`<ul>${detail.keyThumbprints.map((key) => html`<li><code>${key}</code></li>`)}</ul>`}</dd>
<dt>${C.jwksUri}</dt><dd>${detail.jwksUri === undefined ? C.none : html`<code>${detail.jwksUri}</code>`}</dd>
</dl>
<h2>${C.reach}</h2>
<dl class="facts">
<dt>${C.users}</dt><dd>${reach.usersWithLiveGrants}</dd>
<dt>${C.installations}</dt><dd>${reach.installations}</dd>
<dt>${C.grants}</dt><dd>${reach.grants}</dd>
<dt>${C.liveFamilies}</dt><dd>${reach.liveFamilies}</dd>
<dt>${C.tokens24h}</dt><dd>${detail.reach.tokensIssuedLast24Hours}</dd>
<dt>${M.clients.lastSeen}</dt><dd>${formatTime(detail.lastSeenAt)}</dd>
</dl>
<p><a href="${frame.base}/revoke?client_id=${encodeURIComponent(clientId)}">${C.revokeAll}</a></p>`;
    return consoleResponse(C.title(clientId), frame, 'clients', body);
  };
}

/** A shared registration's installations, or an installation's shared registration (decision 0046). */
function sharedFacts(frame: PageFrame, detail: InventoryDetail) {
  const link = (id: string) =>
    html`<a href="${frame.base}/client?client_id=${encodeURIComponent(id)}"><code>${id}</code></a>`;
  if (detail.sharedRegistration !== undefined)
    return html`<dt>${C.sharedRegistration}</dt><dd>${link(detail.sharedRegistration)}</dd>`;
  const installations = detail.installationRegistrations;
  if (installations === undefined) return '';
  return html`<dt>${C.installationRegistrations}</dt><dd>${C.installationCount(installations.count, installations.clientIds.length)}${
    installations.clientIds.length === 0
      ? ''
      : html`<ul>${installations.clientIds.map((id) => html`<li>${link(id)}</li>`)}</ul>`
  }</dd>`;
}

/** The document's `logo_uri` as text only: the console never loads a client's image (CSP). */
function safeLogo(body: string): string | undefined {
  try {
    const logo = (JSON.parse(body) as { logo_uri?: unknown }).logo_uri;
    return typeof logo === 'string' ? logo : undefined;
  } catch {
    return undefined;
  }
}
