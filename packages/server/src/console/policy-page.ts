/**
 * Policy (issue #15): the trust tiers, and every governance rule with its origin (the
 * configuration file's or stored), as `gatehouse clients rules` and GET /admin/v1/rules list them.
 * Stored rules can have their tier set or be deleted here (PATCH and DELETE /admin/v1/rules/…),
 * audited like every governance change; the file's rules are changed in the file.
 */
import { TRUST_TIERS } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { consoleResponse, csrfField, formatTime } from './console-layout.ts';
import { noticeOf } from './console-notice.ts';

const M = messagesFor().console;

const P = M.policy;

export function policyPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const rules = await deps.governance.rules();
    const back = `${frame.base}/policy`;
    const body = html`<h1>${P.title}</h1>
${noticeOf(url)}
<p>${P.intro}</p>
<h2>${P.tiers}</h2>
<dl class="facts">${TRUST_TIERS.map((tier) => html`<dt>${tier}</dt><dd>${P.tierNames[tier]}</dd>`)}</dl>
<h2>${P.rules}</h2>
${
  rules.length === 0
    ? html`<p>${P.none}</p>`
    : html`<div class="scroll" tabindex="0" role="region" aria-label="${M.nav.policy}"><table class="wide">
<thead><tr><th scope="col">${P.selector}</th><th scope="col">${M.overview.state}</th><th scope="col">${M.overview.tier}</th><th scope="col">${P.origin}</th><th scope="col">${P.note}</th><th scope="col">${P.updated}</th><th scope="col"><span class="skip">${P.setTier}</span></th></tr></thead>
<tbody>${rules.map(
        (rule, index) => html`<tr>
<td><code>${rule.selector}</code></td><td>${rule.state ?? '—'}</td><td>${rule.tier ?? '—'}</td>
<td>${rule.origin === 'file' ? P.fromFile : P.stored}</td><td>${rule.note ?? ''}</td>
<td>${rule.updatedBy ?? ''} ${rule.updatedAt === undefined ? '' : formatTime(rule.updatedAt)}</td>
<td>${
          rule.origin === 'file'
            ? ''
            : html`<form class="inline" method="post" action="${frame.base}/actions/set-tier">${csrfField(frame)}
<input type="hidden" name="target" value="${rule.selector}"><input type="hidden" name="return" value="${back}">
<label for="rule-tier-${index}">${M.overview.tier}</label>
<select id="rule-tier-${index}" name="tier">${TRUST_TIERS.map((tier) => html`<option value="${tier}"${tier === rule.tier ? ' selected' : ''}>${tier}</option>`)}</select>
<button type="submit" aria-label="${P.setTier} ${rule.selector}">${P.setTier}</button></form>
<form class="inline" method="post" action="${frame.base}/actions/delete-rule">${csrfField(frame)}
<input type="hidden" name="target" value="${rule.selector}"><input type="hidden" name="return" value="${back}">
<button class="danger" type="submit" aria-label="${P.deleteRule} ${rule.selector}">${P.deleteRule}</button></form>`
        }</td></tr>`,
      )}</tbody></table></div>`
}`;
    return consoleResponse(P.title, frame, 'policy', body);
  };
}
