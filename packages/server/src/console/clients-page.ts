/**
 * Clients (issue #15): the inventory (issue #14) with its filters, sorting and pages, as
 * `gatehouse clients list` and GET /admin/v1/clients read it. A GET form, so every view is a link.
 */
import { APPROVAL_STATES, CLIENT_KINDS, TRUST_TIERS } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { INVENTORY_SORTS } from '../inventory/inventory-query.ts';
import { messagesFor } from '../messages/catalogue.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { consoleResponse, formatTime } from './console-layout.ts';

const M = messagesFor().console;

const C = M.clients;
const PAGE = 50;

function choice(
  name: string,
  label: string,
  options: readonly string[],
  chosen: string | undefined,
  labels?: Record<string, string>,
) {
  return html`<label for="f-${name}">${label}<select id="f-${name}" name="${name}">
<option value="">${C.any}</option>
${options.map((option) => html`<option value="${option}"${option === chosen ? ' selected' : ''}>${labels?.[option] ?? option}</option>`)}
</select></label>`;
}

export function clientsPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const given = (name: string) => {
      const value = url.searchParams.get(name)?.trim();
      return value === undefined || value === '' ? undefined : value;
    };
    const page = await deps.inventory.list({
      kind: given('kind'),
      state: given('state'),
      tier: given('tier'),
      domain: given('domain'),
      owner: given('owner'),
      sort: given('sort'),
      cursor: given('cursor'),
      limit: PAGE,
    });
    const nextLink = new URL(url);
    if (page.next !== undefined) nextLink.searchParams.set('cursor', page.next);
    const body = html`<h1>${C.title}</h1>
<form class="filters" method="get" action="${frame.base}/clients" aria-label="${C.filters}">
${choice('kind', M.overview.kind, CLIENT_KINDS, given('kind'))}
${choice('state', M.overview.state, APPROVAL_STATES, given('state'))}
${choice('tier', M.overview.tier, TRUST_TIERS, given('tier'))}
<label for="f-domain">${C.domain}<input id="f-domain" type="text" name="domain" value="${given('domain') ?? ''}"></label>
<label for="f-owner">${C.owner}<input id="f-owner" type="text" name="owner" value="${given('owner') ?? ''}"></label>
${choice('sort', C.sort, INVENTORY_SORTS, given('sort'), C.sorts)}
<button type="submit">${C.apply}</button>
</form>
${
  page.entries.length === 0
    ? html`<p>${C.none}</p>`
    : html`<div class="scroll" tabindex="0" role="region" aria-label="${M.nav.clients}"><table class="wide">
<thead><tr><th scope="col">${C.clientId}</th><th scope="col">${C.name}</th><th scope="col">${M.overview.kind}</th><th scope="col">${M.overview.state}</th><th scope="col">${M.overview.tier}</th><th scope="col">${C.owner}</th><th scope="col">${C.lastSeen}</th></tr></thead>
<tbody>${page.entries.map(
        (entry) => html`<tr>
<td><a href="${frame.base}/client?client_id=${encodeURIComponent(entry.clientId)}"><code>${entry.clientId}</code></a></td>
<td>${entry.clientName ?? ''}</td><td>${entry.kind}</td>
<td><span class="pill state-${entry.state}">${entry.state}</span></td><td>${entry.tier}</td>
<td>${entry.operator?.owner ?? ''}</td><td>${entry.lastSeenAt === undefined ? C.never : formatTime(entry.lastSeenAt)}</td>
</tr>`,
      )}</tbody></table></div>`
}
${page.next === undefined ? '' : html`<p><a href="${nextLink.pathname}${nextLink.search}">${C.next}</a></p>`}`;
    return consoleResponse(C.title, frame, 'clients', body);
  };
}
