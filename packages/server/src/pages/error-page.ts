import type { OAuthError } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import { currentRequestId } from '../http/request-id.ts';
import { pageResponse } from './layout.ts';

/**
 * The server's own error page: what the user sees when the error cannot be sent back to the client
 * because its redirect_uri is not verified (RFC 6749 §4.1.2.1, CIMD-FETCH-13, checklist item 7).
 * Never a link or redirect to anything the request named.
 */
export function errorPage(error: OAuthError, serviceName: string): Promise<Response> {
  // The request id (decision 0028): what the user can quote, and the operator find in the log.
  const reference = currentRequestId();
  const body = html`<h1>This sign-in request cannot continue</h1>
<p class="error" role="alert"><strong>${error.error}</strong>${error.description === undefined ? '' : html`: ${error.description}`}</p>
<p class="muted">Go back to the application you came from and try again. If this keeps happening, tell its developer
the error above.</p>${
    reference === undefined
      ? ''
      : html`
<p class="muted">Reference: <code>${reference}</code></p>`
  }`;
  return pageResponse('Error', serviceName, body, { status: error.status >= 500 ? error.status : 400 });
}
