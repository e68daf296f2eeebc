import { isSubset, OAuthError, readParameters, readRepeatedParameter } from '@gatehouse/core';
import type { ValidAuthorizationRequest, VerifiedRedirect } from '../authorization/authorization-request.ts';
import {
  validateAuthorizationRequest,
  verifyClientAndRedirect,
} from '../authorization/authorization-request.ts';
import { authorizationError, issueCode, redirectTo } from '../authorization/authorization-response.ts';
import { browserBinding, currentSession } from '../authorization/browser-session.ts';
import { installationOf } from '../authorization/installation.ts';
import type { ServerContext } from '../context.ts';
import { randomToken } from '../crypto/digest.ts';
import { readFormBody } from '../http/form-body.ts';
import { noteOutcome } from '../http/request-outcome.ts';
import type { SessionRecord } from '../store/store.ts';

/**
 * The authorization endpoint, RFC 6749 §3.1 / §4.1.1 (GET, and POST as §3.1 allows). A valid
 * request is stored and the browser is sent to the interaction page (login, then consent); only
 * `prompt=none` answers at once.
 */
export function authorizationEndpoint(ctx: ServerContext) {
  return async (request: Request): Promise<Response> => {
    let verified: VerifiedRedirect | undefined;
    try {
      const raw =
        request.method === 'POST' ? (await readFormBody(request)).raw : new URL(request.url).searchParams;
      const parameters = readParameters(raw);
      verified = await verifyClientAndRedirect(ctx, parameters);
      noteOutcome(request, { clientId: verified.client.clientId });
      const valid = validateAuthorizationRequest(
        ctx,
        verified,
        parameters,
        readRepeatedParameter(raw, 'resource'),
      );
      const session = await currentSession(ctx, request);
      if (valid.prompt.has('none')) return await answerSilently(ctx, valid, session);
      return await startInteraction(ctx, request, valid);
    } catch (error) {
      if (error instanceof OAuthError) noteOutcome(request, { error: error.error, reason: error.reason });
      return authorizationError(ctx, error, verified);
    }
  };
}

async function startInteraction(
  ctx: ServerContext,
  request: Request,
  valid: ValidAuthorizationRequest,
): Promise<Response> {
  const binding = browserBinding(ctx, request);
  const id = randomToken();
  const now = ctx.clock();
  await ctx.store.authorizationRequests.create({
    id,
    clientId: valid.client.clientId,
    redirectUri: valid.redirectUri,
    redirectUriSent: valid.redirectUriSent,
    ...(valid.state === undefined ? {} : { state: valid.state }),
    scope: valid.scope,
    resources: valid.resources,
    codeChallenge: valid.codeChallenge,
    codeChallengeMethod: 'S256',
    ...(valid.prompt.size === 0 ? {} : { prompt: [...valid.prompt].join(' ') }),
    ...(valid.maxAge === undefined ? {} : { maxAge: valid.maxAge }),
    ...(valid.loginHint === undefined ? {} : { loginHint: valid.loginHint }),
    browserBindingDigest: binding.digest,
    csrfToken: randomToken(),
    createdAt: now,
    expiresAt: now + ctx.lifetimes.authorizationRequestSeconds * 1000,
  });
  return redirectTo(
    `${ctx.issuer}/interaction/${id}`,
    binding.setCookie === undefined ? {} : { 'set-cookie': binding.setCookie },
  );
}

/** OpenID Connect Core §3.1.2.1 prompt=none: a code now, or login_required / consent_required. */
async function answerSilently(
  ctx: ServerContext,
  valid: ValidAuthorizationRequest,
  session: SessionRecord | undefined,
): Promise<Response> {
  const now = ctx.clock();
  if (session === undefined || (valid.maxAge !== undefined && now - session.authTime > valid.maxAge * 1000)) {
    throw new OAuthError('login_required', {
      reason: 'login_required',
      description: 'the user is not logged in',
      redirectable: true,
    });
  }
  const grant = await ctx.store.grants.find(
    session.userId,
    valid.client.clientId,
    installationOf(valid.client, valid.redirectUri),
  );
  if (grant === undefined || grant.revokedAt !== undefined || !covers(grant, valid.client, valid)) {
    throw new OAuthError('consent_required', {
      reason: 'consent_required',
      description: 'the user has not consented',
      redirectable: true,
    });
  }
  return issueCode(ctx, {
    redirect: valid,
    userId: session.userId,
    authTime: session.authTime,
    grantId: grant.id,
    scope: valid.scope,
    resources: valid.resources,
    codeChallenge: valid.codeChallenge,
  });
}

/**
 * Whether an existing grant answers a request without asking the user: it covers the scopes and
 * resources, and it was given after the client last changed what it may do (a CIMD document
 * change under the `reconsent` policy moves the client's `updatedAt`, see cimd/document-change.ts).
 */
export function covers(
  grant: { scope: string[]; resources: string[]; updatedAt: number },
  client: { updatedAt: number },
  wanted: { scope: readonly string[]; resources: readonly string[] },
): boolean {
  return (
    grant.updatedAt >= client.updatedAt &&
    isSubset(wanted.scope, grant.scope) &&
    isSubset(wanted.resources, grant.resources)
  );
}
