import { OAuthError, readRepeatedParameter, type VerifiedDpopProof } from '@gatehouse-oauth/core';
import {
  validateAuthorizationRequest,
  verifyClientAndRedirect,
} from '../authorization/authorization-request.ts';
import { PUSHED_ID_PREFIX, pushedRecord, REQUEST_URI_PREFIX } from '../authorization/pushed-request.ts';
import type { ServerContext } from '../context.ts';
import { checkDpop, dpopNonceHeader, dpopRequired } from '../dpop/request-dpop.ts';
import { jsonResponse } from '../http/responses.ts';
import { timeOrderedToken } from '../store/time-ordered-key.ts';
import { clientAuthenticatedEndpoint } from './client-authenticated-request.ts';

/**
 * Pushed Authorization Requests, RFC 9126 (docs/decisions/0010-par.md). The client POSTs its
 * authorization request here, authenticated as at the token endpoint (§2); the request is checked
 * by the same functions as the authorization endpoint, but errors answer the client as JSON (§2.3),
 * never a redirect. A valid request is stored, unbound to any browser, under a one-time
 * `request_uri` the client then sends the browser to the authorization endpoint with (§4).
 */
export function pushedAuthorizationRequestEndpoint(ctx: ServerContext) {
  return clientAuthenticatedEndpoint<VerifiedDpopProof | undefined>(
    ctx,
    async ({ form, authentication, prepared: dpop }) => {
      const { parameters, raw } = form;
      // RFC 9126 §2.1: "The request_uri authorization request parameter is one exception, and it
      // MUST NOT be provided." A pushed request cannot point at another one.
      if (parameters.has('request_uri')) {
        throw new OAuthError('invalid_request', {
          reason: 'par_request_uri',
          description: 'request_uri must not be sent to the pushed authorization request endpoint',
        });
      }
      // RFC 9126 §2.1: the request is the client's own; client_id names the authenticated client.
      // (client authentication already refuses a body client_id that names another client; this
      // covers the methods where the body's client_id is not what identified the client.)
      const clientId = parameters.get('client_id');
      if (clientId !== undefined && clientId !== authentication.client.clientId) {
        throw new OAuthError('invalid_request', {
          reason: 'client_id_conflict',
          description: 'client_id differs from the authenticated client',
        });
      }
      // RFC 9126 §2.1: validate "in the same way as ... the authorization endpoint". Same functions;
      // the JSON wrapper ignores `redirectable`, so no error is ever sent to a redirect_uri (§2.3).
      const withClient = new Map(parameters);
      withClient.set('client_id', authentication.client.clientId);
      // RFC 9449 §10.1: a proof at PAR binds the code to its key, as dpop_jkt does; with both, the
      // thumbprints must agree.
      if (dpop !== undefined) {
        const dpopJkt = parameters.get('dpop_jkt');
        if (dpopJkt !== undefined && dpopJkt !== dpop.jkt) {
          throw new OAuthError('invalid_dpop_proof', {
            reason: 'dpop_jkt_mismatch',
            description: 'dpop_jkt differs from the thumbprint of the DPoP proof key',
          });
        }
        withClient.set('dpop_jkt', dpop.jkt);
      }
      const verified = await verifyClientAndRedirect(ctx, withClient, authentication.client);
      const valid = validateAuthorizationRequest(
        ctx,
        verified,
        withClient,
        readRepeatedParameter(raw, 'resource'),
      );
      // The profile's rules for a pushed request (atproto: one-time code_challenge and state, AT-7).
      // DPoP from PAR on (AT-11) is dpop.requiredAtPar, checked before authentication (below).
      await ctx.profile.acceptPushedRequest?.(valid);

      const now = ctx.clock();
      const key = timeOrderedToken(now);
      const lifetime = ctx.lifetimes.pushedRequestSeconds;
      await ctx.store.authorizationRequests.create(
        pushedRecord(valid, `${PUSHED_ID_PREFIX}${key}`, now, lifetime),
      );
      // RFC 9126 §2.2: 201 Created, the request_uri and its lifetime in seconds; never cached.
      return jsonResponse(
        { request_uri: `${REQUEST_URI_PREFIX}${key}`, expires_in: lifetime },
        { status: 201, headers: dpop === undefined ? {} : await dpopNonceHeader(ctx, now) },
      );
    },
    // RFC 9449 §10.1: the DPoP proof is checked before client authentication (issue #5), and so
    // is the requirement to send one (dpop.requiredAtPar; AT-11 "starting from PAR" in the atproto
    // profile): a request refused for a missing proof leaves a client assertion's jti unspent.
    async (_form, request) => {
      const now = ctx.clock();
      const proof = await checkDpop(
        request,
        { htm: 'POST', htu: ctx.endpoints.pushedAuthorizationRequest },
        ctx,
        now,
      );
      if (proof === undefined && ctx.dpop.requiredAtPar) {
        // With the nonce to put in the proof, so the retry needs no use_dpop_nonce round trip (§8).
        throw await dpopRequired(
          ctx,
          now,
          'a DPoP proof is required from the pushed authorization request on',
        );
      }
      return proof;
    },
  );
}
