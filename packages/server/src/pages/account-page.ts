import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';
import type { ConnectedApp } from './connected-apps.ts';
import { type PageTheme, pageResponse } from './layout.ts';

export interface AccountPageModel {
  username: string;
  apps: readonly ConnectedApp[];
  /** Where each Revoke form posts, with the form token of this session. */
  revokeAction: string;
  csrfToken: string;
  /** Where Sign out posts, with its own form token. */
  signOutAction: string;
  signOutToken: string;
  /** An installation was just revoked (the redirect after the POST says so). */
  revoked: boolean;
  theme: PageTheme;
}

/**
 * The connected apps page (issue #15 item 2, AT-14): one card per installation, the verified
 * identity first (a document client's host, else its client_id), the client's own name labelled
 * as its claim, where its answers go, its trust tier and scopes in words, when it connected and
 * last signed in; and a Revoke button per installation, named for screen readers by what it revokes.
 */
export function accountPage(model: AccountPageModel): Promise<Response> {
  const words = messagesFor().account;
  const body = html`<h1>${words.heading}</h1>
<p>${words.signedInAs(model.username)}</p>
${model.revoked ? html`<p class="ok" role="status">${words.revoked}</p>` : ''}
${model.apps.length === 0 ? html`<p>${words.none}</p>` : html`<p class="muted">${words.intro}</p>`}
${model.apps.map((app, index) => card(model, app, index))}
<form method="post" action="${model.signOutAction}">
<input type="hidden" name="csrf" value="${model.signOutToken}">
<p class="muted">${words.signOutHint} <button type="submit">${words.signOut}</button></p>
</form>`;
  return pageResponse(words.title, model.theme, body);
}

function card(model: AccountPageModel, app: ConnectedApp, index: number) {
  const messages = messagesFor();
  const words = messages.account;
  const label = app.clientHost ?? app.clientId;
  const heading = `app-${index}`;
  return html`<section class="card" aria-labelledby="${heading}">
<h2 id="${heading}">${app.clientHost === undefined ? html`<code>${app.clientId}</code>` : words.from(app.clientHost)}</h2>
${app.clientName === undefined ? '' : html`<p class="claim"><span>${words.claimedName(app.clientName)}</span></p>`}
<dl>
${app.clientHost === undefined ? '' : html`<dt>${words.clientIdLabel}</dt><dd><code>${app.clientId}</code></dd>`}
<dt>${words.installationLabel}</dt><dd><code>${app.redirectUri}</code></dd>
${app.tier === undefined ? '' : html`<dt>${words.tierLabel}</dt><dd>${messages.tiers[app.tier].name}</dd>`}
<dt>${words.scopesLabel}</dt><dd><ul>${app.scopes.map(
    (scope) =>
      html`<li>${scope.description === undefined ? '' : html`${scope.description} `}<code>${scope.scope}</code></li>`,
  )}</ul></dd>
${
  app.resources.length === 0
    ? ''
    : html`<dt>${words.resourcesLabel}</dt><dd>${app.resources.map(
        (resource, i) => html`${i === 0 ? '' : ', '}${resource.name ?? html`<code>${resource.uri}</code>`}`,
      )}</dd>`
}
<dt>${words.connectedLabel}</dt><dd>${time(app.connectedAt)}</dd>
<dt>${words.lastUsedLabel}</dt><dd>${app.lastUsedAt === undefined ? words.never : time(app.lastUsedAt)}; ${words.sessions(app.liveSessions)}</dd>
</dl>
<form method="post" action="${model.revokeAction}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<input type="hidden" name="installation" value="${app.key}">
<button type="submit" aria-label="${words.revokeLabel(label, app.redirectUri)}">${words.revoke}</button>
</form>
</section>
`;
}

function time(ms: number) {
  return html`<time datetime="${new Date(ms).toISOString()}">${messagesFor().account.time(ms)}</time>`;
}
