import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';
import { type PageTheme, pageResponse } from './layout.ts';

export interface LoginPageModel {
  action: string;
  csrfToken: string;
  /** The application the sign-in is for (its verified identity); absent on the connected apps page. */
  clientLabel?: string | undefined;
  /** Said under the heading when there is no client: what signing in here is for. */
  purpose?: string | undefined;
  username?: string | undefined;
  failed?: boolean | undefined;
  /**
   * AT-14 (atproto profile): the client asked for this account (`login_hint`) and only it may sign
   * in. `mismatch`: the submitted username was another account; nothing was checked or changed.
   */
  onlyAccount?: { hint: string; mismatch: boolean } | undefined;
  /**
   * Issue #15 item 3: where Cancel posts (the form token goes along): the request is answered
   * `access_denied` at the client's verified redirect_uri. Absent: no Cancel button.
   */
  cancelAction?: string | undefined;
  serviceName: string;
  theme?: PageTheme | undefined;
}

/**
 * Local account login. Labelled fields, a plain POST, no JavaScript. Cancel is a form of its own
 * after the sign-in form, so Enter in a field signs in, and Cancel needs no username or password.
 */
export function loginPage(model: LoginPageModel): Promise<Response> {
  const words = messagesFor().login;
  const body = html`<h1>${words.heading(model.serviceName)}</h1>
${
  model.clientLabel !== undefined
    ? html`<p class="muted">${words.continueTo(model.clientLabel)}</p>`
    : model.purpose === undefined
      ? ''
      : html`<p class="muted">${model.purpose}</p>`
}
${model.failed ? html`<p class="error" role="alert">${words.failed}</p>` : ''}
${
  model.onlyAccount === undefined
    ? ''
    : model.onlyAccount.mismatch
      ? html`<p class="error" role="alert">${words.onlyAccountMismatch(model.onlyAccount.hint)}</p>`
      : html`<p>${words.onlyAccountAsked(model.onlyAccount.hint)}</p>`
}
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<label for="username">${words.username}</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${model.username ?? ''}">
<label for="password">${words.password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit" class="primary">${words.submit}</button></div>
</form>${
    model.cancelAction === undefined
      ? ''
      : html`
<form method="post" action="${model.cancelAction}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<div class="actions"><button type="submit">${words.cancel}</button></div>
<p class="muted">${words.cancelHint}</p>
</form>`
  }`;
  const status = model.failed ? 401 : model.onlyAccount?.mismatch ? 403 : 200;
  return pageResponse(words.title, model.theme ?? model.serviceName, body, { status });
}
