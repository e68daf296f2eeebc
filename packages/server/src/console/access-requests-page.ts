/**
 * Access requests (issue #15): the clients users tried while they await approval, and the clients
 * the server itself put on hold, each with Approve (choosing the tier) and Block, as
 * `gatehouse clients pending` and GET /admin/v1/access-requests list them.
 */
import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';
import { governanceButtons } from './client-page.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { consoleResponse, formatTime } from './console-layout.ts';
import { noticeOf } from './console-notice.ts';

const M = messagesFor().console;

const A = M.accessRequests;

export function accessRequestsPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const { requests, holds } = await deps.governance.pending();
    const byClient = new Map<string, { name?: string | undefined; first: number; users: number }>();
    for (const request of requests) {
      const seen = byClient.get(request.clientId);
      byClient.set(request.clientId, {
        name: seen?.name ?? request.clientName,
        first: Math.min(seen?.first ?? request.firstAt, request.firstAt),
        users: (seen?.users ?? 0) + 1,
      });
    }
    const back = `${frame.base}/access-requests`;
    const body = html`<h1>${A.title}</h1>
${noticeOf(url)}
${
  byClient.size === 0
    ? html`<p>${A.none}</p>`
    : html`<ul class="requests">${[...byClient].map(
        ([clientId, request]) => html`<li class="card">
<p><a href="${frame.base}/client?client_id=${encodeURIComponent(clientId)}"><code>${clientId}</code></a>
${request.name === undefined ? '' : html` · ${request.name} <span class="muted">${M.client.selfAsserted}</span>`}</p>
<p class="muted">${A.requested}: ${formatTime(request.first)} · ${A.users}: ${request.users}</p>
${governanceButtons(frame, clientId, back, clientId)}
</li>`,
      )}</ul>`
}
${
  holds.length === 0
    ? ''
    : html`<h2>${A.holds}</h2><ul>${holds.map(
        (
          hold,
        ) => html`<li class="card"><p><a href="${frame.base}/client?client_id=${encodeURIComponent(hold.clientId)}"><code>${hold.clientId}</code></a></p>
<p class="muted">${A.heldWhy}: <code>${hold.reason}</code> · ${formatTime(hold.at)}</p>${governanceButtons(frame, hold.clientId, back, `held ${hold.clientId}`)}</li>`,
      )}</ul>`
}`;
    return consoleResponse(A.title, frame, 'accessRequests', body);
  };
}
