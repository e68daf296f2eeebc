import {
  type AuthenticatedClient,
  authenticateClient,
  presentedClientId,
} from '../clients/client-authentication.ts';
import type { ServerContext } from '../context.ts';
import { type FormBody, readFormBody } from '../http/form-body.ts';
import { handleOAuthJson } from '../http/oauth-json.ts';
import { noteNamedClient, noteOutcome } from '../http/request-outcome.ts';
import { methodNotAllowed } from '../http/responses.ts';

/**
 * The shape every endpoint where a client authenticates shares (token, revocation, introspection;
 * RFC 6749 §2.3, §3.2; RFC 7009 §2.1; RFC 7662 §2.1): POST only, a form body, the client
 * authenticated before its request is acted on, and errors as RFC 6749 §5.2 JSON. `prepare` runs
 * on the form before authentication, for checks that need no client (the grant_type) and for the
 * DPoP proof (RFC 9449), whose nonce retry must not burn a client assertion's jti (issue #5).
 */
export interface AuthenticatedFormRequest<Prepared> {
  request: Request;
  form: FormBody;
  authentication: AuthenticatedClient;
  prepared: Prepared;
}

export function clientAuthenticatedEndpoint<Prepared = undefined>(
  ctx: ServerContext,
  handle: (request: AuthenticatedFormRequest<Prepared>) => Promise<Response>,
  prepare?: (form: FormBody, request: Request) => Prepared | Promise<Prepared>,
  /**
   * A credential of the request's own in place of client authentication (the token endpoint: a
   * workload token, grants/workload-identity.ts); undefined: the client authenticates as usual.
   */
  authenticateOtherwise?: (form: FormBody, request: Request) => Promise<AuthenticatedClient | undefined>,
) {
  return async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    return handleOAuthJson(
      request,
      async () => {
        const form = await readFormBody(request);
        // Before anything can refuse, so a refusal's log line names the client it was for.
        noteNamedClient(request, presentedClientId(request, form.parameters));
        const prepared = prepare === undefined ? (undefined as Prepared) : await prepare(form, request);
        const authentication =
          (await authenticateOtherwise?.(form, request)) ??
          (await authenticateClient(request, form.parameters, ctx, ctx.clock()));
        noteOutcome(request, { clientId: authentication.client.clientId });
        return handle({ request, form, authentication, prepared });
      },
      ctx.logger,
    );
  };
}
