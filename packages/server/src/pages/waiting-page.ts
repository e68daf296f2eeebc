import { html } from 'hono/html';
import { currentRequestId } from '../http/request-id.ts';
import { messagesFor } from '../messages/catalogue.ts';
import { type PageTheme, pageResponse } from './layout.ts';

export interface WaitingPageModel {
  /** The client's own name if it declares one, else its client_id: what the user recognises. */
  clientLabel: string;
  serviceName: string;
  username: string;
  theme?: PageTheme | undefined;
}

/**
 * What the user sees when the application they came from awaits the administrator's approval
 * (issue #13, `governance.mode: approval`): the server's own page, never a redirect to the client
 * (no code is issued), saying what happens next. The attempt was recorded as an access request, so
 * the administrator sees who asked.
 */
export function waitingPage(model: WaitingPageModel): Promise<Response> {
  const words = messagesFor();
  const reference = currentRequestId();
  const body = html`<h1>${words.waiting.heading}</h1>
<p role="status">${words.waiting.notApproved(model.clientLabel, model.serviceName)}</p>
<p>${words.waiting.recorded(model.username)}</p>
<p class="muted">${words.waiting.nothingShared}</p>${
    reference === undefined
      ? ''
      : html`
<p class="muted">${words.layout.reference} <code>${reference}</code></p>`
  }`;
  return pageResponse(words.waiting.title, model.theme ?? model.serviceName, body, { status: 403 });
}
