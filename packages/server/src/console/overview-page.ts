/**
 * Overview (issue #15): clients by kind, state and tier; the access requests that wait; recent
 * document changes and drift alerts; refusals by reason; tokens issued and refusals per hour over
 * the last 24 hours, as a chart with its table.
 */
import { APPROVAL_STATES, CLIENT_KINDS, TRUST_TIERS } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { MAX_PAGE } from '../inventory/inventory-query.ts';
import { messagesFor } from '../messages/catalogue.ts';
import { dayActivity } from './console-activity.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { hourlyBarChart } from './console-charts.ts';
import { consoleResponse, formatTime } from './console-layout.ts';
import { noticeOf } from './console-notice.ts';

const M = messagesFor().console;

const O = M.overview;

function countBy<T extends string>(values: readonly T[], of: readonly string[]): [string, number][] {
  return of.map((name) => [name, values.filter((value) => value === name).length]);
}

function countTable(caption: string, column: string, rows: [string, number][]) {
  return html`<div class="card"><h2>${caption}</h2><div class="scroll"><table>
<thead><tr><th scope="col">${column}</th><th scope="col">${O.count}</th></tr></thead>
<tbody>${rows.map(([name, count]) => html`<tr><td>${name}</td><td>${count}</td></tr>`)}</tbody>
</table></div></div>`;
}

export function overviewPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const now = deps.clock();
    // One page of the inventory (at most MAX_PAGE): an overview of a larger fleet says "N+".
    const [page, pending, day] = await Promise.all([
      deps.inventory.list({ limit: MAX_PAGE }),
      deps.governance.pending(),
      dayActivity(deps.auditLog, now),
    ]);
    const entries = page.entries;
    const more = page.next !== undefined;
    const issued = day.hours.reduce((sum, hour) => sum + hour.issued, 0);
    const refused = day.hours.reduce((sum, hour) => sum + hour.refused, 0);
    const hourLabel = (start: number) => new Date(start).toISOString().slice(11, 13);
    const body = html`<h1>${O.title}</h1>
${noticeOf(url)}
<p class="muted">${O.counted(entries.length, more)}</p>
<div class="grid">
${countTable(
  O.clientsByKind,
  O.kind,
  countBy(
    entries.map((entry) => entry.kind),
    CLIENT_KINDS,
  ),
)}
${countTable(
  O.clientsByState,
  O.state,
  countBy(
    entries.map((entry) => entry.state),
    APPROVAL_STATES,
  ),
)}
${countTable(
  O.clientsByTier,
  O.tier,
  countBy(
    entries.map((entry) => entry.tier),
    TRUST_TIERS,
  ),
)}
</div>
<h2>${O.pending}</h2>
${
  pending.requests.length === 0
    ? html`<p>${O.noPending}</p>`
    : html`<ul>${[...new Set(pending.requests.map((request) => request.clientId))].map(
        (clientId) =>
          html`<li><a href="${frame.base}/client?client_id=${encodeURIComponent(clientId)}">${clientId}</a></li>`,
      )}</ul><p><a href="${frame.base}/access-requests">${M.nav.accessRequests}</a></p>`
}
<h2>${O.perHour}</h2>
${hourlyBarChart(
  'per-hour',
  O.perHour,
  O.chartDescription(issued, refused),
  day.hours.map((hour) => ({ label: hourLabel(hour.start), issued: hour.issued, refused: hour.refused })),
)}
<p class="legend"><span class="swatch-issued">■ ${O.issued}</span><span class="swatch-refused">■ ${O.refused}</span></p>
${day.partial ? html`<p class="muted">${O.partial(day.read)}</p>` : ''}
<details><summary>${O.perHour}</summary><div class="scroll"><table>
<thead><tr><th scope="col">${O.hour}</th><th scope="col">${O.issued}</th><th scope="col">${O.refused}</th></tr></thead>
<tbody>${day.hours.map((hour) => html`<tr><td>${hourLabel(hour.start)}:00</td><td>${hour.issued}</td><td>${hour.refused}</td></tr>`)}</tbody>
</table></div></details>
<h2>${O.refusalsByReason}</h2>
${
  day.reasons.length === 0
    ? html`<p>${O.noRefusals}</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">${O.reason}</th><th scope="col">${O.count}</th></tr></thead>
<tbody>${day.reasons.map((row) => html`<tr><td><code>${row.reason}</code></td><td>${row.count}</td></tr>`)}</tbody></table></div>`
}
<h2>${O.recentChanges}</h2>
${
  day.documentEvents.length === 0
    ? html`<p>${O.noRecentChanges}</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">${O.when}</th><th scope="col">${O.event}</th><th scope="col">${O.client}</th></tr></thead>
<tbody>${day.documentEvents.map(
        (event) =>
          html`<tr><td>${formatTime(event.at)}</td><td><code>${event.type}</code></td><td>${
            event.clientId === undefined
              ? '—'
              : html`<a href="${frame.base}/client?client_id=${encodeURIComponent(event.clientId)}">${event.clientId}</a>`
          }</td></tr>`,
      )}</tbody></table></div>`
}`;
    return consoleResponse(O.title, frame, 'overview', body);
  };
}
