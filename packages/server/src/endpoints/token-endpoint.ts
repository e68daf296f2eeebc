import { OAuthError, type VerifiedDpopProof } from '@gatehouse/core';
import type { ServerContext } from '../context.ts';
import { checkDpop, dpopNonceHeader, dpopRequired } from '../dpop/request-dpop.ts';
import { authorizationCodeGrant } from '../grants/authorization-code-grant.ts';
import { refreshTokenGrant } from '../grants/refresh-token-grant.ts';
import type { TokenRequest } from '../grants/token-request.ts';
import { noteOutcome } from '../http/request-outcome.ts';
import { jsonResponse, oauthErrorResponse } from '../http/responses.ts';
import { isStoreUnavailableError, storeUnavailable } from '../http/store-unavailable.ts';
import type { TokenResponse } from '../tokens/token-response.ts';
import { clientAuthenticatedEndpoint } from './client-authenticated-endpoint.ts';

type Grant = (ctx: ServerContext, request: TokenRequest) => Promise<TokenResponse>;

const GRANTS: Record<string, Grant> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
};

export const SUPPORTED_GRANT_TYPES = Object.keys(GRANTS);

/**
 * The token endpoint, RFC 6749 §3.2 (POST, form body, client authentication, JSON answers). A DPoP
 * proof (RFC 9449 §5) is checked before the client is authenticated, so a `use_dpop_nonce` retry
 * leaves a client assertion unused (issue #5); its key then binds the tokens (docs/dpop.md).
 */
export function tokenEndpoint(ctx: ServerContext) {
  return clientAuthenticatedEndpoint<{
    grantType: string;
    grant: Grant;
    dpop: VerifiedDpopProof | undefined;
  }>(
    ctx,
    async ({ form, authentication: { client, ...authentication }, prepared: { grantType, grant, dpop } }) => {
      if (!client.metadata.grant_types.includes(grantType)) {
        throw new OAuthError('unauthorized_client', {
          reason: 'grant_not_registered',
          description: `this client is not registered for ${grantType}`,
        });
      }
      // RFC 9449 §5.2 (dpop_bound_access_tokens): no proof, no tokens. Checked before the grant
      // runs, so the code or refresh token stays usable. (The server-wide switch is checked before
      // client authentication, in the preparation below.)
      if (dpop === undefined && client.metadata.dpop_bound_access_tokens === true) {
        throw await dpopRequired(ctx, ctx.clock(), 'this client must send a DPoP proof with token requests');
      }
      const tokens = await grant(ctx, {
        parameters: form.parameters,
        raw: form.raw,
        client,
        authentication,
        ...(dpop === undefined ? {} : { dpop }),
      });
      // §8.2: the next nonce rides along, so the client rotates before its current one goes stale.
      return jsonResponse(tokens, {
        headers: dpop === undefined ? {} : await dpopNonceHeader(ctx, ctx.clock()),
      });
    },
    // The grant type is checked before the client: an unsupported grant says so whoever asks.
    async (form, request) => {
      const grantType = form.parameters.get('grant_type');
      if (grantType === undefined) {
        throw new OAuthError('invalid_request', {
          reason: 'grant_type_missing',
          description: 'grant_type is required',
        });
      }
      const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
      if (grant === undefined) {
        throw new OAuthError('unsupported_grant_type', {
          reason: 'grant_type_unsupported',
          description: `grant_type ${grantType.slice(0, 64)} is not supported`,
        });
      }
      const now = ctx.clock();
      const dpop = await checkDpop(request, { htm: 'POST', htu: ctx.endpoints.token }, ctx, now);
      // dpop.required needs no client to decide: refused before authentication, so the client
      // assertion's jti stays unspent for the retry with a proof (issue #5).
      if (dpop === undefined && ctx.dpop.required) {
        throw await dpopRequired(ctx, now, 'this server requires a DPoP proof with token requests');
      }
      return { grantType, grant, dpop };
    },
  );
}

/**
 * Runs an endpoint body: an OAuthError becomes its RFC 6749 §5.2 JSON answer, a store that cannot
 * reach its database a 503 temporarily_unavailable, anything else a 500 without details.
 */
export async function handleOAuthJson(
  request: Request,
  body: () => Promise<Response>,
  ctx: ServerContext,
): Promise<Response> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof OAuthError) {
      noteOutcome(request, { error: error.error, reason: error.reason });
      return oauthErrorResponse(error);
    }
    if (isStoreUnavailableError(error)) {
      const unavailable = storeUnavailable(error, ctx.logger);
      noteOutcome(request, { error: unavailable.error, reason: unavailable.reason });
      return oauthErrorResponse(unavailable);
    }
    ctx.logger.error({ err: error }, 'endpoint failed');
    noteOutcome(request, { error: 'server_error', reason: 'internal' });
    return oauthErrorResponse(
      new OAuthError('server_error', { reason: 'internal', description: 'internal error' }),
    );
  }
}
