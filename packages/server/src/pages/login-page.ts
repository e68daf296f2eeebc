import { html } from 'hono/html';
import { pageResponse } from './layout.ts';

export interface LoginPageModel {
  action: string;
  csrfToken: string;
  clientLabel: string;
  username?: string;
  failed?: boolean;
  /**
   * AT-14 (atproto profile): the client asked for this account (`login_hint`) and only it may sign
   * in. `mismatch`: the submitted username was another account; nothing was checked or changed.
   */
  onlyAccount?: { hint: string; mismatch: boolean };
  serviceName: string;
}

/** Local account login. Labelled fields, a plain POST, no JavaScript. */
export function loginPage(model: LoginPageModel): Promise<Response> {
  const body = html`<h1>Sign in to ${model.serviceName}</h1>
<p class="muted">to continue to <strong>${model.clientLabel}</strong></p>
${model.failed ? html`<p class="error" role="alert">The username or password is not right.</p>` : ''}
${
  model.onlyAccount === undefined
    ? ''
    : model.onlyAccount.mismatch
      ? html`<p class="error" role="alert">This application asked to sign in as <strong>${model.onlyAccount.hint}</strong>, so only that account can sign in here. To use another account, go back to the application and start again with it.</p>`
      : html`<p>The application asked to sign in as <strong>${model.onlyAccount.hint}</strong>.</p>`
}
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${model.username ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" class="primary">Sign in</button>
</form>`;
  const status = model.failed ? 401 : model.onlyAccount?.mismatch ? 403 : 200;
  return pageResponse('Sign in', model.serviceName, body, { status });
}
