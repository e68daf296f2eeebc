import type { OAuthError } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { currentRequestId } from '../http/request-id.ts';
import { messagesFor } from '../messages/catalogue.ts';
import { type PageTheme, pageResponse } from './layout.ts';

/** What the error page shows besides the error: the look, and the client concerned when known. */
export interface ErrorPageContext {
  theme: PageTheme;
  /** The client_id the request named (issue #15 item 3); shown cut to a readable length. */
  clientId?: string | undefined;
}

/**
 * The server's own error page: what the user sees when the error cannot be sent back to the client
 * because its redirect_uri is not verified (RFC 6749 §4.1.2.1, CIMD-FETCH-13, checklist item 7).
 * Never a link or redirect to anything the request named. It says which client_id the request
 * named and the request id (decision 0028), which is also on the request's log line, so the
 * operator finds the line from what the person quotes.
 */
export function errorPage(error: OAuthError, shown: ErrorPageContext | string): Promise<Response> {
  const { theme, clientId } =
    typeof shown === 'string' ? { theme: { serviceName: shown }, clientId: undefined } : shown;
  const words = messagesFor();
  const reference = currentRequestId();
  const body = html`<h1>${words.error.heading}</h1>
<p class="error" role="alert"><strong>${error.error}</strong>${error.description === undefined ? '' : html`: ${error.description}`}</p>
${clientId === undefined ? '' : html`<p>${words.error.clientLine(clientId.slice(0, 512))}</p>`}
<p class="muted">${words.error.advice}</p>${
    reference === undefined
      ? ''
      : html`
<p class="muted">${words.layout.reference} <code>${reference}</code></p>`
  }`;
  return pageResponse(words.error.title, theme, body, { status: pageStatus(error.status) });
}

/** 5xx, 403 and 404 as they are; every other refusal is a plain 400 on a page. */
function pageStatus(status: number): number {
  return status >= 500 || status === 403 || status === 404 ? status : 400;
}
