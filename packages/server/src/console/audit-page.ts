/**
 * Audit log (issue #15): the events newest first, filtered by client, user, type, actor and time,
 * a page at a time with the cursor, through the same query as `gatehouse audit` and
 * GET /admin/v1/audit (audit/audit-query.ts); its refusals (a time that is not ISO 8601, an
 * unknown user) are shown as a page with their reason.
 */
import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { consoleResponse, formatTime } from './console-layout.ts';

const M = messagesFor().console;

const A = M.audit;
const PAGE = 50;
const FIELDS = ['client_id', 'user', 'type', 'actor', 'since', 'until'] as const;

export function auditPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const given = (name: string) => {
      const value = url.searchParams.get(name)?.trim();
      return value === undefined || value === '' ? undefined : value;
    };
    const filter = await deps.auditLog.filter({
      clientId: given('client_id'),
      user: given('user'),
      type: given('type'),
      actor: given('actor'),
      since: given('since'),
      until: given('until'),
    });
    const page = await deps.auditLog.page(filter, { limit: PAGE, cursor: given('cursor') });
    const next = new URL(url);
    if (page.cursor !== undefined) next.searchParams.set('cursor', page.cursor);
    const labels: Record<(typeof FIELDS)[number], string> = {
      client_id: A.client,
      user: A.user,
      type: A.type,
      actor: A.actor,
      since: A.since,
      until: A.until,
    };
    const body = html`<h1>${A.title}</h1>
<form class="filters" method="get" action="${frame.base}/audit" aria-label="${A.filters}">
${FIELDS.map((name) => html`<label for="a-${name}">${labels[name]}<input id="a-${name}" type="text" name="${name}" value="${given(name) ?? ''}"></label>`)}
<button type="submit">${A.apply}</button>
</form>
${
  page.events.length === 0
    ? html`<p>${A.none}</p>`
    : html`<div class="scroll" tabindex="0" role="region" aria-label="${M.nav.audit}"><table class="wide">
<thead><tr><th scope="col">${A.when}</th><th scope="col">${A.type}</th><th scope="col">${A.client}</th><th scope="col">${A.actor}</th><th scope="col">${A.reason}</th><th scope="col">${A.detail}</th></tr></thead>
<tbody>${page.events.map(
        (event) => html`<tr><td>${formatTime(event.at)}</td><td><code>${event.type}</code></td>
<td>${event.clientId === undefined ? '' : html`<a href="${frame.base}/client?client_id=${encodeURIComponent(event.clientId)}"><code>${event.clientId}</code></a>`}</td>
<td>${event.actor ?? ''}</td><td>${event.reason === undefined ? '' : html`<code>${event.reason}</code>`}</td>
<td>${event.detail === undefined ? '' : html`<code>${JSON.stringify(event.detail)}</code>`}</td></tr>`,
      )}</tbody></table></div>`
}
${page.cursor === undefined ? '' : html`<p><a href="${next.pathname}${next.search}">${A.next}</a></p>`}`;
    return consoleResponse(A.title, frame, 'audit', body);
  };
}
