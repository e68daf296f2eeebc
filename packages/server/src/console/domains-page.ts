/**
 * Domains (issue #15): every client under a domain (the inventory's domain filter), what they
 * reach together (the blast radius of the domain), "Block the domain" (a `domain:` block rule
 * through governance, which ends the sessions of every stored client it selects) and "Revoke all".
 */
import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { consoleResponse, csrfField } from './console-layout.ts';
import { noticeOf } from './console-notice.ts';

const M = messagesFor().console;

const D = M.domains;

export function domainsPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const domain = url.searchParams.get('domain')?.trim().toLowerCase() ?? '';
    const lookup = html`<form class="filters" method="get" action="${frame.base}/domains" aria-label="${D.lookupForm}">
<label for="domain">${D.lookup}<input id="domain" type="text" name="domain" value="${domain}" required></label>
<button type="submit">${D.show}</button></form>`;
    if (domain === '')
      return consoleResponse(
        D.title,
        frame,
        'domains',
        html`<h1>${D.title}</h1>${noticeOf(url)}<p>${D.prompt}</p>${lookup}`,
      );
    const [page, reach] = await Promise.all([
      deps.inventory.list({ domain, limit: 200 }),
      deps.inventory.reach({ domain }),
    ]);
    const back = `${frame.base}/domains?domain=${encodeURIComponent(domain)}`;
    const body = html`<h1>${D.title}</h1>
${noticeOf(url)}
${lookup}
<h2>${D.clientsUnder(domain)}</h2>
${
  page.entries.length === 0
    ? html`<p>${M.clients.none}</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">${M.clients.clientId}</th><th scope="col">${M.overview.state}</th><th scope="col">${M.overview.tier}</th></tr></thead>
<tbody>${page.entries.map(
        (entry) =>
          html`<tr><td><a href="${frame.base}/client?client_id=${encodeURIComponent(entry.clientId)}"><code>${entry.clientId}</code></a></td><td><span class="pill state-${entry.state}">${entry.state}</span></td><td>${entry.tier}</td></tr>`,
      )}</tbody></table></div>`
}
<h2>${M.client.reach}</h2>
<dl class="facts">
<dt>${M.client.users}</dt><dd>${reach.usersWithLiveGrants}</dd>
<dt>${M.client.installations}</dt><dd>${reach.installations}</dd>
<dt>${M.client.grants}</dt><dd>${reach.grants}</dd>
<dt>${M.client.liveFamilies}</dt><dd>${reach.liveFamilies}</dd>
</dl>
<p><a href="${frame.base}/revoke?domain=${encodeURIComponent(domain)}">${M.client.revokeAll}</a></p>
<h2>${D.blockDomain(domain)}</h2>
<form class="stack" method="post" action="${frame.base}/actions/block">${csrfField(frame)}
<input type="hidden" name="target" value="domain:${domain}"><input type="hidden" name="return" value="${back}">
<label for="block-reason">${D.reason}</label><input id="block-reason" type="text" name="reason">
<p><button class="danger" type="submit">${D.block}</button></p></form>`;
    return consoleResponse(D.title, frame, 'domains', body);
  };
}
