import { isLoopbackRedirectUri, OAuthError } from '@gatehouse-oauth/core';
import type { VerifiedRedirect } from '../authorization/authorization-request.ts';
import { authorizationError, issueCode, redirectTo } from '../authorization/authorization-response.ts';
import { bindingDigestOf, currentSession, startSession } from '../authorization/browser-session.ts';
import { covers } from '../authorization/consent-coverage.ts';
import { installationOf } from '../authorization/installation.ts';
import { loginRestriction, sessionIsHintedAccount } from '../authorization/login-restriction.ts';
import type { ServerContext } from '../context.ts';
import { safeEqual } from '../crypto/digest.ts';
import { enforcedPending } from '../governance/pending-admission.ts';
import { tierPolicyOf } from '../governance/tier-policy.ts';
import { readFormBody } from '../http/form-body.ts';
import { noteOutcome, outcomeOf } from '../http/request-outcome.ts';
import { messagesFor } from '../messages/catalogue.ts';
import type { AccountRestriction } from '../profiles/profile.ts';
import type { AuthorizationRequestRecord, SessionRecord } from '../store/store.ts';
import { loginPage } from './login-page.ts';
import { describeScopes } from './scope-wording.ts';
import { waitingPage } from './waiting-page.ts';

/**
 * The interaction pages between the authorization request and its response: login, then consent.
 * Every POST must carry the request's form token and come from the browser that started the
 * request (the binding cookie), and the request is consumed exactly once when answered.
 */
export function interactionEndpoints(ctx: ServerContext) {
  return {
    show: (request: Request, id: string) =>
      guarded(ctx, request, id, (pending) => show(ctx, request, pending)),
    login: (request: Request, id: string, remoteAddress?: string) =>
      guarded(ctx, request, id, (pending) => login(ctx, request, pending, remoteAddress)),
    consent: (request: Request, id: string) =>
      guarded(ctx, request, id, (pending) => consent(ctx, request, pending)),
    cancel: (request: Request, id: string) =>
      guarded(ctx, request, id, (pending) => cancel(ctx, request, pending)),
  };
}

interface Pending {
  record: AuthorizationRequestRecord;
  redirect: VerifiedRedirect;
}

async function guarded(
  ctx: ServerContext,
  request: Request,
  id: string,
  step: (pending: Pending) => Promise<Response>,
): Promise<Response> {
  let redirect: VerifiedRedirect | undefined;
  try {
    const record = await ctx.store.authorizationRequests.get(id, ctx.clock());
    if (record === undefined) {
      throw new OAuthError('invalid_request', {
        reason: 'interaction_unknown',
        description: 'this sign-in request has expired or was already answered',
      });
    }
    const binding = bindingDigestOf(ctx, request);
    if (binding === undefined || !safeEqual(binding, record.browserBindingDigest)) {
      throw new OAuthError('invalid_request', {
        reason: 'browser_binding_mismatch',
        description: 'this sign-in request was started in another browser',
      });
    }
    const client = await ctx.clients.resolve(record.clientId);
    if (client === undefined) {
      throw new OAuthError('invalid_client', {
        status: 400,
        reason: 'client_unknown',
        description: 'the client no longer exists',
      });
    }
    noteOutcome(request, { clientId: client.clientId });
    redirect = {
      client,
      redirectUri: record.redirectUri,
      redirectUriSent: record.redirectUriSent,
      state: record.state,
      tier: await tierPolicyOf(ctx, client),
    };
    return await step({ record, redirect });
  } catch (error) {
    if (error instanceof OAuthError) noteOutcome(request, { error: error.error, reason: error.reason });
    return authorizationError(ctx, error, redirect, outcomeOf(request)?.clientId);
  }
}

async function needsLogin(
  ctx: ServerContext,
  record: AuthorizationRequestRecord,
  session: SessionRecord | undefined,
): Promise<boolean> {
  if (session === undefined) return true;
  const prompts = record.prompt?.split(' ') ?? [];
  if (prompts.includes('login') && session.authTime < record.createdAt) return true;
  if (record.maxAge !== undefined && ctx.clock() - session.authTime > record.maxAge * 1000) return true;
  // AT-14: a session of another account than the one asked for does not answer this request.
  return !(await sessionIsHintedAccount(ctx, record.loginHint, session.userId));
}

function onlyAccount(ctx: ServerContext, record: AuthorizationRequestRecord): AccountRestriction | undefined {
  return loginRestriction(ctx, record.loginHint);
}

async function show(ctx: ServerContext, request: Request, pending: Pending): Promise<Response> {
  const session = await currentSession(ctx, request);
  if (await needsLogin(ctx, pending.record, session)) return renderLogin(ctx, pending);
  return consentOrCode(ctx, pending, session!);
}

function renderLogin(
  ctx: ServerContext,
  pending: Pending,
  outcome?: { failed: { username: string } } | { hintMismatch: true },
): Promise<Response> {
  const { record, redirect } = pending;
  const only = onlyAccount(ctx, record);
  // The hint pre-fills the username (AT-14), unless the restriction says it is no username (a DID).
  const hinted = only === undefined ? record.loginHint : only.prefill;
  const username = outcome !== undefined && 'failed' in outcome ? outcome.failed.username : hinted;
  return loginPage({
    action: `${ctx.issuer}/interaction/${record.id}/login`,
    csrfToken: record.csrfToken,
    clientLabel: redirect.client.clientId,
    serviceName: ctx.serviceName,
    theme: ctx.pageTheme,
    // Issue #15 item 3: Cancel answers access_denied at the verified redirect_uri.
    cancelAction: `${ctx.issuer}/interaction/${record.id}/cancel`,
    ...(username === undefined ? {} : { username }),
    ...(outcome !== undefined && 'failed' in outcome ? { failed: true } : {}),
    ...(only === undefined
      ? {}
      : { onlyAccount: { hint: only.hint, mismatch: outcome !== undefined && 'hintMismatch' in outcome } }),
  });
}

async function consentOrCode(
  ctx: ServerContext,
  pending: Pending,
  session: SessionRecord,
): Promise<Response> {
  const { record, redirect } = pending;
  // Issue #13: a client awaiting approval gets no code; the user is told, the operator sees who asked.
  if ((await enforcedPending(ctx, redirect.client, 'consent', session.userId)) !== undefined)
    return awaitApproval(ctx, pending, session);
  const prompts = record.prompt?.split(' ') ?? [];
  const grant = await ctx.store.grants.find(
    session.userId,
    record.clientId,
    installationOf(redirect.client, record.redirectUri),
  );
  if (
    !prompts.includes('consent') &&
    grant !== undefined &&
    grant.revokedAt === undefined &&
    covers(grant, redirect.client, record, redirect.tier)
  ) {
    // Already allowed for this installation: answer without asking again.
    if ((await ctx.store.authorizationRequests.consume(record.id, ctx.clock())) === undefined)
      throw alreadyAnswered();
    return issueCode(ctx, codeIssue(pending, session, grant.id));
  }
  const user = await ctx.store.users.get(session.userId);
  const redirectUris = redirect.client.metadata.redirect_uris;
  const logoKey = await logoKeyFor(ctx, redirect.client.metadata.logo_uri);
  return ctx.renderConsent({
    action: `${ctx.issuer}/interaction/${record.id}/consent`,
    csrfToken: record.csrfToken,
    clientId: redirect.client.clientId,
    ...(redirect.client.kind === 'cimd' ? { clientHost: hostOf(redirect.client.clientId) } : {}),
    ...(redirect.client.metadata.client_name === undefined
      ? {}
      : { clientName: redirect.client.metadata.client_name }),
    ...(logoKey === undefined ? {} : { logoSrc: `${ctx.issuer}/client-logo/${logoKey}` }),
    redirectHost: hostOf(record.redirectUri),
    loopbackOnly: redirectUris.length > 0 && redirectUris.every(isLoopbackRedirectUri),
    tier: { name: redirect.tier.tier, statement: messagesFor().tiers[redirect.tier.tier].statement },
    scopes: record.scope,
    // AT-14, issue #15 item 3: what each scope allows, in words (pages/scope-wording.ts).
    scopeDescriptions: await describeScopes(ctx, record.scope, record.resources),
    // MCP-16 step-up: mark what this installation already allowed, so the new scopes stand out.
    ...(grant !== undefined && grant.revokedAt === undefined && grant.updatedAt >= redirect.client.updatedAt
      ? { alreadyGranted: grant.scope }
      : {}),
    resources: record.resources.map((uri) => {
      const name = ctx.resources.byUri.get(uri)?.name;
      return name === undefined ? { uri } : { uri, name };
    }),
    username: user?.username ?? session.userId,
    serviceName: ctx.serviceName,
    theme: ctx.pageTheme,
  });
}

/**
 * Issue #13: the waiting page, and the attempt recorded as an access request (who, which client,
 * when; repeated attempts are counted) and audited. The authorization request stays open: once the
 * client is approved, the same sign-in can go on.
 */
async function awaitApproval(
  ctx: ServerContext,
  pending: Pending,
  session: SessionRecord,
): Promise<Response> {
  const { client } = pending.redirect;
  const clientName = client.metadata.client_name;
  await ctx.store.governance.recordAccessRequest({
    clientId: client.clientId,
    userId: session.userId,
    clientName,
    at: ctx.clock(),
  });
  await ctx.audit({ type: 'governance.access_requested', clientId: client.clientId, userId: session.userId });
  const user = await ctx.store.users.get(session.userId);
  return waitingPage({
    clientLabel: clientName ?? client.clientId,
    serviceName: ctx.serviceName,
    theme: ctx.pageTheme,
    username: user?.username ?? session.userId,
  });
}

/**
 * CIMD-CACHE-6: the logo is fetched by the server (bounded by the fetcher's deadline) and shown from
 * our own origin; the page never names the remote URL. Any failure just means no logo.
 */
async function logoKeyFor(ctx: ServerContext, logoUri: string | undefined): Promise<string | undefined> {
  if (logoUri === undefined) return undefined;
  try {
    return await ctx.clientLogos.prefetch(logoUri);
  } catch {
    return undefined;
  }
}

async function login(
  ctx: ServerContext,
  request: Request,
  pending: Pending,
  remoteAddress: string | undefined,
): Promise<Response> {
  const form = await readFormBody(request);
  checkCsrf(form.parameters.get('csrf'), pending.record);
  const username = form.parameters.get('username') ?? '';
  const password = form.parameters.get('password') ?? '';
  // AT-14: another account than the hinted one is refused before its password is looked at, with
  // no session, no audit event and the request left pending. (The hinted username itself, known or
  // not, takes the usual path below, so this reveals nothing about which accounts exist.)
  const only = onlyAccount(ctx, pending.record);
  if (only !== undefined && username !== only.hint) {
    const named = username === '' ? undefined : await ctx.store.users.findByUsername(username);
    if (named === undefined || !(await only.matches(named, ctx.subjectOf))) {
      noteOutcome(request, { error: 'access_denied', reason: 'login_hint_mismatch' });
      return renderLogin(ctx, pending, { hintMismatch: true });
    }
  }
  // Issue #18 finding 3: throttled per account name and per source before the authenticator runs,
  // so custom authenticators are covered and a right password is refused while throttled. The
  // answer is the wrong-password page, byte for byte (no user enumeration, OWASP); only the
  // recorded outcome and the once-per-window `login.throttled` audit event tell them apart.
  const attempt = await ctx.loginThrottle.attempt({
    username,
    remoteAddress,
    clientId: pending.record.clientId,
    now: ctx.clock(),
  });
  if (!attempt.allowed) {
    noteOutcome(request, { error: 'access_denied', reason: 'login_throttled' });
    return renderLogin(ctx, pending, { failed: { username } });
  }
  // The configured authentication (local accounts with passwords by default).
  const user = await ctx.authenticateUser({ username, password, form: form.parameters });
  if (user === undefined) {
    noteOutcome(request, { error: 'access_denied', reason: 'login_failed' });
    await ctx.audit({ type: 'login.failed', clientId: pending.record.clientId, reason: 'bad_credentials' });
    return renderLogin(ctx, pending, { failed: { username } });
  }
  await attempt.succeeded();
  const { setCookie } = await startSession(ctx, user.id);
  await ctx.audit({ type: 'login.succeeded', userId: user.id, clientId: pending.record.clientId });
  return redirectTo(`${ctx.issuer}/interaction/${pending.record.id}`, { 'set-cookie': setCookie });
}

async function consent(ctx: ServerContext, request: Request, pending: Pending): Promise<Response> {
  const form = await readFormBody(request);
  checkCsrf(form.parameters.get('csrf'), pending.record);
  const session = await currentSession(ctx, request);
  if (await needsLogin(ctx, pending.record, session))
    return redirectTo(`${ctx.issuer}/interaction/${pending.record.id}`);
  const decision = form.parameters.get('decision');
  if (decision !== 'allow' && decision !== 'deny') {
    throw new OAuthError('invalid_request', {
      reason: 'decision_missing',
      description: 'choose Allow or Deny',
    });
  }
  // The client may have been put back to pending since the consent page was shown.
  if ((await enforcedPending(ctx, pending.redirect.client, 'consent', session!.userId)) !== undefined)
    return awaitApproval(ctx, pending, session!);
  // Answered exactly once, even if the form is submitted twice at the same moment.
  const record = await ctx.store.authorizationRequests.consume(pending.record.id, ctx.clock());
  if (record === undefined) throw alreadyAnswered();
  const { userId } = session!;
  if (decision === 'deny') {
    await ctx.audit({ type: 'consent.denied', userId, clientId: record.clientId });
    // Thrown like every refusal, so guarded() notes its reason; it redirects to pending.redirect.
    throw new OAuthError('access_denied', {
      reason: 'user_denied',
      description: 'the user denied the request',
      redirectable: true,
    });
  }
  const grant = await ctx.store.grants.upsert({
    id: crypto.randomUUID(),
    userId,
    clientId: record.clientId,
    redirectUri: installationOf(pending.redirect.client, record.redirectUri),
    scope: record.scope,
    resources: record.resources,
    now: ctx.clock(),
  });
  await ctx.audit({
    type: 'consent.granted',
    userId,
    clientId: record.clientId,
    detail: {
      grant_id: grant.id,
      scope: record.scope,
      resources: record.resources,
      redirect_uri: record.redirectUri,
    },
  });
  return issueCode(ctx, codeIssue({ ...pending, record }, session!, grant.id));
}

/**
 * Cancel on the login page (issue #15 item 3): the request is answered exactly once, with
 * `access_denied` at its redirect_uri, which the authorization endpoint verified before this page
 * could exist (with state and iss, RFC 9207). An unknown, answered or foreign request gets the error
 * page instead, never a redirect.
 */
async function cancel(ctx: ServerContext, request: Request, pending: Pending): Promise<Response> {
  const form = await readFormBody(request);
  checkCsrf(form.parameters.get('csrf'), pending.record);
  const record = await ctx.store.authorizationRequests.consume(pending.record.id, ctx.clock());
  if (record === undefined) throw alreadyAnswered();
  await ctx.audit({ type: 'login.cancelled', clientId: record.clientId });
  throw new OAuthError('access_denied', {
    reason: 'user_cancelled',
    description: 'the user cancelled the sign-in',
    redirectable: true,
  });
}

function codeIssue(pending: Pending, session: SessionRecord, grantId: string) {
  return {
    redirect: pending.redirect,
    userId: session.userId,
    authTime: session.authTime,
    grantId,
    scope: pending.record.scope,
    resources: pending.record.resources,
    codeChallenge: pending.record.codeChallenge,
    dpopJkt: pending.record.dpopJkt,
  };
}

function checkCsrf(presented: string | undefined, record: AuthorizationRequestRecord): void {
  if (presented === undefined || !safeEqual(presented, record.csrfToken)) {
    throw new OAuthError('invalid_request', {
      reason: 'csrf_mismatch',
      description: 'the form has expired; start again',
    });
  }
}

/** Thrown, so guarded() notes the reason and shows the error page (it is never redirected). */
function alreadyAnswered(): OAuthError {
  return new OAuthError('invalid_request', {
    reason: 'interaction_answered',
    description: 'this sign-in request was already answered',
  });
}

function hostOf(uri: string): string {
  try {
    const url = new URL(uri);
    return url.host === '' ? `${url.protocol}` : url.host;
  } catch {
    return uri;
  }
}
