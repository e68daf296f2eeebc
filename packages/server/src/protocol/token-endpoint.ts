import { OAuthError, type VerifiedDpopProof } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { checkDpop, dpopNonceHeader, dpopRequired } from '../dpop/request-dpop.ts';
import { admissionError } from '../governance/admission.ts';
import { enforcedPending } from '../governance/pending-admission.ts';
import { type Grant, grantOfType } from '../grants/grant-types.ts';
import { JWT_BEARER_GRANT_TYPE } from '../grants/jwt-bearer-assertion.ts';
import { workloadAuthentication } from '../grants/workload-identity.ts';
import { jsonResponse } from '../http/responses.ts';
import { clientAuthenticatedEndpoint } from './client-authenticated-request.ts';

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
      // Issue #13: a client awaiting approval (or held after a suspicious document change) gets
      // no token by any grant, refresh included.
      if ((await enforcedPending(ctx, client, 'token')) !== undefined) throw admissionError('client_pending');
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
      const grant = grantOfType(grantType);
      // Decision 0043: jwt-bearer only once an issuer is trusted (`enterprise`, `workloadIdentity`).
      if (grant === undefined || (grantType === JWT_BEARER_GRANT_TYPE && !ctx.jwtBearer.enabled)) {
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
    // SEP-1933: a workload's platform token authenticates it (no client credentials of ours).
    (form, request) => workloadAuthentication(ctx, request, form.parameters),
  );
}
