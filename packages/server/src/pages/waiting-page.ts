import { html } from 'hono/html';
import { currentRequestId } from '../http/request-id.ts';
import { pageResponse } from './layout.ts';

export interface WaitingPageModel {
  /** The client's own name if it declares one, else its client_id: what the user recognises. */
  clientLabel: string;
  serviceName: string;
  username: string;
}

/**
 * What the user sees when the application they came from awaits the administrator's approval
 * (issue #13, `governance.mode: approval`): the server's own page, never a redirect to the client
 * (no code is issued), saying what happens next. The attempt was recorded as an access request, so
 * the administrator sees who asked.
 */
export function waitingPage(model: WaitingPageModel): Promise<Response> {
  const reference = currentRequestId();
  const body = html`<h1>This application awaits approval</h1>
<p role="status"><strong>${model.clientLabel}</strong> has not been approved by the administrator of
${model.serviceName} yet, so it cannot be connected to your account.</p>
<p>Your request, as ${model.username}, has been recorded: the administrator can see that you asked.
Once the application is approved, go back to it and connect again.</p>
<p class="muted">Nothing was shared with the application.</p>${
    reference === undefined
      ? ''
      : html`
<p class="muted">Reference: <code>${reference}</code></p>`
  }`;
  return pageResponse('Awaiting approval', model.serviceName, body, { status: 403 });
}
