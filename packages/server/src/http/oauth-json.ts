import { OAuthError } from '@gatehouse-oauth/core';
import type { Logger } from 'pino';
import { noteOutcome } from './request-outcome.ts';
import { oauthErrorResponse } from './responses.ts';
import { isStoreUnavailableError, storeUnavailable } from './store-unavailable.ts';

/**
 * Runs an endpoint body: an OAuthError becomes its RFC 6749 §5.2 JSON answer, a store that cannot
 * reach its database a 503 temporarily_unavailable, anything else a 500 without details. Every JSON
 * endpoint (token, revocation, introspection, PAR, registration) answers its errors through this.
 */
export async function handleOAuthJson(
  request: Request,
  body: () => Promise<Response>,
  logger: Logger,
): Promise<Response> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof OAuthError) {
      noteOutcome(request, { error: error.error, reason: error.reason });
      return oauthErrorResponse(error);
    }
    if (isStoreUnavailableError(error)) {
      const unavailable = storeUnavailable(error, logger);
      noteOutcome(request, { error: unavailable.error, reason: unavailable.reason });
      return oauthErrorResponse(unavailable);
    }
    logger.error({ err: error }, 'endpoint failed');
    noteOutcome(request, { error: 'server_error', reason: 'internal' });
    return oauthErrorResponse(
      new OAuthError('server_error', { reason: 'internal', description: 'internal error' }),
    );
  }
}
