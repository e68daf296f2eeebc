import { html } from 'hono/html';
import { pageResponse } from './layout.ts';

export interface LoginPageModel {
  action: string;
  csrfToken: string;
  clientLabel: string;
  username?: string;
  failed?: boolean;
  serviceName: string;
}

/** Local account login. Labelled fields, a plain POST, no JavaScript. */
export function loginPage(model: LoginPageModel): Promise<Response> {
  const body = html`<h1>Sign in to ${model.serviceName}</h1>
<p class="muted">to continue to <strong>${model.clientLabel}</strong></p>
${model.failed ? html`<p class="error" role="alert">The username or password is not right.</p>` : ''}
<form method="post" action="${model.action}">
<input type="hidden" name="csrf" value="${model.csrfToken}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${model.username ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" class="primary">Sign in</button>
</form>`;
  return pageResponse('Sign in', model.serviceName, body, { status: model.failed ? 401 : 200 });
}
