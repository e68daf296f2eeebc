import { OAuthError, type Parameters, readParameters, readRepeatedParameter } from '@gatehouse-oauth/core';
import type { ValidAuthorizationRequest, VerifiedRedirect } from '../authorization/authorization-request.ts';
import {
  requirePushedRequest,
  validateAuthorizationRequest,
  verifyClientAndRedirect,
} from '../authorization/authorization-request.ts';
import { authorizationError, issueCode, redirectTo } from '../authorization/authorization-response.ts';
import { browserBinding, currentSession } from '../authorization/browser-session.ts';
import { covers } from '../authorization/consent-coverage.ts';
import { installationOf } from '../authorization/installation.ts';
import { sessionIsHintedAccount } from '../authorization/login-restriction.ts';
import { PUSHED_ID_PREFIX, REQUEST_URI_PREFIX, requestFields } from '../authorization/pushed-request.ts';
import type { ServerContext } from '../context.ts';
import { randomToken } from '../crypto/digest.ts';
import { enforcedPending } from '../governance/pending-admission.ts';
import { decisionOf } from '../governance/tier-policy.ts';
import { readFormBody } from '../http/form-body.ts';
import { noteNamedClient, noteOutcome, outcomeOf } from '../http/request-outcome.ts';
import { recordClientActivity } from '../inventory/client-activity.ts';
import type { SessionRecord } from '../store/store.ts';
import { timeOrderedToken } from '../store/time-ordered-key.ts';

/**
 * The authorization endpoint, RFC 6749 §3.1 / §4.1.1 (GET, and POST as §3.1 allows). A valid
 * request is stored and the browser is sent to the interaction page (login, then consent), unless
 * a signed-in browser has already allowed everything it asks (answered at once, as `prompt=none`
 * always is). A request may instead name a pushed request (RFC 9126 §4) by its
 * `request_uri`; that request then goes through the same checks and the same pages.
 */
export function authorizationEndpoint(ctx: ServerContext) {
  return async (request: Request): Promise<Response> => {
    let verified: VerifiedRedirect | undefined;
    try {
      const raw =
        request.method === 'POST' ? (await readFormBody(request)).raw : new URL(request.url).searchParams;
      // Before anything can refuse, so a refusal's log line names the client it was for.
      noteNamedClient(request, raw.get('client_id') ?? undefined);
      const sent = readParameters(raw);
      const pushed = sent.has('request_uri') ? await claimPushedRequest(ctx, sent) : undefined;
      const parameters = pushed?.parameters ?? sent;
      verified = await verifyClientAndRedirect(ctx, parameters);
      noteOutcome(request, { clientId: verified.client.clientId });
      if (pushed === undefined) requirePushedRequest(ctx, verified);
      const valid = validateAuthorizationRequest(
        ctx,
        verified,
        parameters,
        pushed?.resources ?? readRepeatedParameter(raw, 'resource'),
      );
      // The inventory's "last seen" (issue #14): a valid request, at most one write an hour.
      await recordClientActivity(ctx, verified.client.clientId, 'authorization', ctx.clock());
      const session = await currentSession(ctx, request);
      if (valid.prompt.has('none')) return await answerSilently(ctx, valid, session);
      return (await answerWithoutPages(ctx, valid, session)) ?? (await startInteraction(ctx, request, valid));
    } catch (error) {
      if (error instanceof OAuthError) noteOutcome(request, { error: error.error, reason: error.reason });
      // The client the request named, shown on our error page (issue #15 item 3).
      return authorizationError(ctx, error, verified, outcomeOf(request)?.clientId);
    }
  };
}

/**
 * RFC 9126 §4: the pushed request named by `request_uri`, claimed for this browser. It is consumed
 * atomically (the store's exactly-once `consume`): of two browsers racing with one request_uri,
 * one gets it and the other the error page. Every failure ends on our page, never at a
 * redirect_uri: until the pushed request is in hand nothing ties a redirect_uri to this request.
 *
 * Only the pushed parameters are used; anything else sent alongside, except client_id, is ignored
 * (RFC 9126 §4 with RFC 9101 §5: the authorization server "MUST only use the parameters" of the
 * request object, here the pushed request). They are rebuilt into authorization request parameters
 * and run through the normal validation again: §4 lets the AS skip re-validation only when policy
 * has not changed meanwhile, and re-running it is how we know the client (a CIMD document may
 * have changed its redirect_uris) still allows what was pushed.
 */
async function claimPushedRequest(
  ctx: ServerContext,
  sent: Parameters,
): Promise<{ parameters: Parameters; resources: readonly string[] }> {
  const requestUri = sent.get('request_uri') ?? '';
  const clientId = sent.get('client_id');
  if (clientId === undefined) {
    // RFC 9126 §4: the client_id accompanies the request_uri (RFC 9101 §5: REQUIRED).
    throw new OAuthError('invalid_request', {
      reason: 'client_id_missing',
      description: 'client_id is required',
    });
  }
  const unknown = () =>
    new OAuthError('invalid_request', {
      reason: 'request_uri_unknown',
      description: 'the request_uri is unknown, expired or was already used',
    });
  if (!requestUri.startsWith(REQUEST_URI_PREFIX)) throw unknown();
  const id = `${PUSHED_ID_PREFIX}${requestUri.slice(REQUEST_URI_PREFIX.length)}`;
  const now = ctx.clock();
  const record = await ctx.store.authorizationRequests.get(id, now);
  if (record === undefined) throw unknown();
  // RFC 9126 §4 / RFC 9101 §6.3: the request_uri belongs to the client that pushed it. Checked
  // before consuming, so a request naming another client cannot burn this client's request_uri.
  if (record.clientId !== clientId) {
    throw new OAuthError('invalid_request', {
      reason: 'request_uri_client_mismatch',
      description: 'the request_uri was not pushed by this client_id',
    });
  }
  // RFC 9126 §4 (and §7.3): single use; losing the race reads exactly like a used request_uri.
  if ((await ctx.store.authorizationRequests.consume(id, now)) === undefined) throw unknown();
  const parameters = new Map<string, string>([
    ['client_id', record.clientId],
    ['response_type', 'code'],
    ['code_challenge', record.codeChallenge],
    ['code_challenge_method', record.codeChallengeMethod],
    ['scope', record.scope.join(' ')],
  ]);
  if (record.redirectUriSent) parameters.set('redirect_uri', record.redirectUri);
  if (record.state !== undefined) parameters.set('state', record.state);
  if (record.prompt !== undefined) parameters.set('prompt', record.prompt);
  if (record.maxAge !== undefined) parameters.set('max_age', String(record.maxAge));
  if (record.loginHint !== undefined) parameters.set('login_hint', record.loginHint);
  // RFC 9449 §10: the key the pushed request bound its code to (dpop_jkt, or the PAR proof's key).
  if (record.dpopJkt !== undefined) parameters.set('dpop_jkt', record.dpopJkt);
  // readParameters drops empty values; an empty resolved scope must stay "none asked for".
  if (record.scope.length === 0) parameters.delete('scope');
  return { parameters, resources: record.resources };
}

async function startInteraction(
  ctx: ServerContext,
  request: Request,
  valid: ValidAuthorizationRequest,
): Promise<Response> {
  const binding = browserBinding(ctx, request);
  const now = ctx.clock();
  const id = timeOrderedToken(now);
  await ctx.store.authorizationRequests.create({
    ...requestFields(valid),
    id,
    // A pushed request is bound to a browser here, when it arrives: a fresh id, binding and form
    // token (the pushed record itself was consumed above).
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

/**
 * What a request can be answered with at once, without a page: a code when the browser has a
 * session that fits the request (max_age, the hinted account), the client is not held back
 * (issue #13), and this installation's grant already covers what is asked; otherwise which of those
 * is missing. One set of checks for `prompt=none` and for the ordinary request below.
 */
async function answerAtOnce(
  ctx: ServerContext,
  valid: ValidAuthorizationRequest,
  session: SessionRecord | undefined,
  where: string,
): Promise<Response | 'login_required' | 'client_pending' | 'consent_required'> {
  const now = ctx.clock();
  if (
    session === undefined ||
    (valid.maxAge !== undefined && now - session.authTime > valid.maxAge * 1000) ||
    // AT-14: a session of another account than the one the profile restricts to does not answer.
    !(await sessionIsHintedAccount(ctx, valid.loginHint, session.userId))
  )
    return 'login_required';
  if ((await enforcedPending(ctx, valid.client, where, session.userId)) !== undefined)
    return 'client_pending';
  const grant = await ctx.store.grants.find(
    session.userId,
    valid.client.clientId,
    installationOf(valid.client, valid.redirectUri),
  );
  if (grant === undefined || grant.revokedAt !== undefined || !covers(grant, valid.client, valid, valid.tier))
    return 'consent_required';
  return issueCode(ctx, {
    redirect: valid,
    userId: session.userId,
    authTime: session.authTime,
    grantId: grant.id,
    scope: valid.scope,
    resources: valid.resources,
    codeChallenge: valid.codeChallenge,
    dpopJkt: valid.dpopJkt,
  });
}

/**
 * A request without `prompt` from a browser that is signed in and has already allowed this
 * installation everything it asks gets its code here, as the interaction page would have given it
 * without showing anything (RFC 6749 §4.1.1 leaves how consent is established to the server; the
 * remembered consent is the grant, decision 0006). That saves the browser a redirect and the store
 * a pending request written and consumed (issue #18, finding 11). Anything else, `prompt=login`
 * or `prompt=consent` included, goes to the pages exactly as before.
 */
async function answerWithoutPages(
  ctx: ServerContext,
  valid: ValidAuthorizationRequest,
  session: SessionRecord | undefined,
): Promise<Response | undefined> {
  if (session === undefined || valid.prompt.size > 0) return undefined;
  // A client awaiting approval goes to the pages in every mode: they show the waiting page, or in
  // report-only mode audit the one `governance.would_refuse` of this sign-in.
  if ((await decisionOf(ctx, valid.client)).refusal === 'client_pending') return undefined;
  const answer = await answerAtOnce(ctx, valid, session, 'authorization');
  return answer instanceof Response ? answer : undefined;
}

/** OpenID Connect Core §3.1.2.1 prompt=none: a code now, or login_required / consent_required. */
async function answerSilently(
  ctx: ServerContext,
  valid: ValidAuthorizationRequest,
  session: SessionRecord | undefined,
): Promise<Response> {
  const answer = await answerAtOnce(ctx, valid, session, 'prompt_none');
  if (answer === 'login_required') {
    throw new OAuthError('login_required', {
      reason: 'login_required',
      description: 'the user is not logged in',
      redirectable: true,
    });
  }
  // Issue #13: without a page to show, a client awaiting approval is told so at its redirect_uri.
  if (answer === 'client_pending') {
    throw new OAuthError('access_denied', {
      reason: 'client_pending',
      description: "this client awaits approval by the server's administrator",
      redirectable: true,
    });
  }
  if (answer === 'consent_required') {
    throw new OAuthError('consent_required', {
      reason: 'consent_required',
      description: 'the user has not consented',
      redirectable: true,
    });
  }
  return answer;
}
