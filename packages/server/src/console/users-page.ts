/**
 * Users (issue #15): the local accounts with their standing and role, and one account's
 * connections (its grants per client and installation), with Disable/Enable, Grant/Revoke admin,
 * a password reset and revoking a connection. The changes go through the users service
 * (users/user-admin.ts, PATCH /admin/v1/users/{user}) and the inventory's connections
 * (DELETE /admin/v1/connections/{grant_id}), audited as `console:<name>`.
 */
import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';
import type { UserRecord } from '../store/store.ts';
import type { ConsoleDeps, ConsolePage } from './console-call.ts';
import { consoleResponse, csrfField, formatTime, type PageFrame } from './console-layout.ts';
import { noticeOf } from './console-notice.ts';

const M = messagesFor().console;

const U = M.users;

function userButtons(frame: PageFrame, user: UserRecord, back: string) {
  const toggle = (field: 'disabled' | 'admin', value: boolean, label: string, danger: boolean) =>
    html`<form class="inline" method="post" action="${frame.base}/actions/user">${csrfField(frame)}
<input type="hidden" name="user" value="${user.username}"><input type="hidden" name="return" value="${back}">
<input type="hidden" name="${field}" value="${String(value)}">
<button${danger ? html` class="danger"` : ''} type="submit" aria-label="${label} ${user.username}">${label}</button></form>`;
  const disabled = user.disabledAt !== undefined;
  const admin = user.admin === true;
  return html`${disabled ? toggle('disabled', false, U.enable, false) : toggle('disabled', true, U.disable, true)}
${admin ? toggle('admin', false, U.revokeAdmin, false) : toggle('admin', true, U.grantAdmin, false)}`;
}

function standing(user: UserRecord) {
  return html`<span class="pill${user.disabledAt === undefined ? '' : ' state-blocked'}">${user.disabledAt === undefined ? U.active : U.disabled}</span>${user.admin === true ? html` <span class="pill">${U.admin}</span>` : ''}`;
}

export function usersPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const users = await deps.userAdmin.list();
    const back = `${frame.base}/users`;
    const body = html`<h1>${U.title}</h1>
${noticeOf(url)}
${
  users.length === 0
    ? html`<p>${U.none}</p>`
    : html`<div class="scroll" tabindex="0" role="region" aria-label="${U.title}"><table class="wide">
<thead><tr><th scope="col">${U.username}</th><th scope="col">${U.created}</th><th scope="col">${U.standing}</th><th scope="col"><span class="skip">${U.disable}</span></th></tr></thead>
<tbody>${users.map(
        (
          user,
        ) => html`<tr><td><a href="${frame.base}/user?name=${encodeURIComponent(user.username)}">${user.username}</a></td>
<td>${formatTime(user.createdAt)}</td><td>${standing(user)}</td><td>${userButtons(frame, user, back)}</td></tr>`,
      )}</tbody></table></div>`
}`;
    return consoleResponse(U.title, frame, 'users', body);
  };
}

export function userPage(deps: ConsoleDeps): ConsolePage {
  return async ({ frame, url }) => {
    const user = await deps.userAdmin.find(url.searchParams.get('name') ?? '');
    const { connections } = await deps.inventory.connections.ofUser(user.username);
    const back = `${frame.base}/user?name=${encodeURIComponent(user.username)}`;
    const body = html`<h1>${U.user(user.username)}</h1>
${noticeOf(url)}
<dl class="facts"><dt>id</dt><dd><code>${user.id}</code></dd>
${user.sub === undefined ? '' : html`<dt>sub</dt><dd><code>${user.sub}</code></dd>`}
<dt>${U.created}</dt><dd>${formatTime(user.createdAt)}</dd><dt>${U.standing}</dt><dd>${standing(user)}</dd></dl>
<p>${userButtons(frame, user, back)}</p>
<h2>${U.connections}</h2>
${
  connections.length === 0
    ? html`<p>${U.noConnections}</p>`
    : html`<div class="scroll" tabindex="0" role="region" aria-label="${U.connections}"><table class="wide">
<thead><tr><th scope="col">${M.clients.clientId}</th><th scope="col">${U.installation}</th><th scope="col">${U.scope}</th><th scope="col">${U.sessions}</th><th scope="col"><span class="skip">${U.revokeConnection}</span></th></tr></thead>
<tbody>${connections.map(
        (
          connection,
        ) => html`<tr><td><a href="${frame.base}/client?client_id=${encodeURIComponent(connection.clientId)}"><code>${connection.clientId}</code></a></td>
<td><code>${connection.redirectUri}</code></td><td>${connection.scope.join(' ')}</td><td>${connection.liveSessions}</td>
<td><form class="inline" method="post" action="${frame.base}/actions/revoke-connection">${csrfField(frame)}
<input type="hidden" name="grant_id" value="${connection.grantId}"><input type="hidden" name="return" value="${back}">
<button class="danger" type="submit" aria-label="${U.revokeConnection} ${connection.clientId}">${U.revokeConnection}</button></form></td></tr>`,
      )}</tbody></table></div>`
}
<h2>${U.resetPassword}</h2>
<form class="stack" method="post" action="${frame.base}/actions/user">${csrfField(frame)}
<input type="hidden" name="user" value="${user.username}"><input type="hidden" name="return" value="${back}">
<label for="new-password">${U.newPassword}</label>
<input id="new-password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<p><button type="submit">${U.setPassword}</button></p></form>`;
    return consoleResponse(U.user(user.username), frame, 'users', body);
  };
}
