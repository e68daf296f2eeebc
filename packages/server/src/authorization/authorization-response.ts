import { OAuthError, withResponseParameters } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { digest, randomToken } from '../crypto/digest.ts';
import { isStoreUnavailableError, storeUnavailable } from '../http/store-unavailable.ts';
import { errorPage } from '../pages/error-page.ts';
import type { VerifiedRedirect } from './authorization-request.ts';

/** What issuing an authorization code needs (RFC 6749 §4.1.2). */
export type CodeIssuing = Pick<ServerContext, 'issuer' | 'clock' | 'store' | 'lifetimes'>;

/**
 * Authorization responses, RFC 6749 §4.1.2. Every response that goes back to the client carries
 * `iss` (RFC 9207 §2, MCP-14), errors included, and uses 303 so a browser never re-sends a POSTed
 * form (login credentials) to the client (RFC 9700 §4.12).
 */
export function redirectTo(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store', ...headers } });
}

export function authorizationErrorRedirect(
  ctx: Pick<ServerContext, 'issuer'>,
  redirect: VerifiedRedirect,
  error: OAuthError,
): Response {
  return redirectTo(
    withResponseParameters(redirect.redirectUri, {
      error: error.error,
      error_description: error.description,
      state: redirect.state,
      iss: ctx.issuer,
    }),
  );
}

/**
 * An error from the authorization flow: to the client only if it may go there, else our page.
 * `clientId`: the client the request named, if any, shown on the page (issue #15 item 3).
 */
export async function authorizationError(
  ctx: Pick<ServerContext, 'issuer' | 'serviceName' | 'logger' | 'pageTheme'>,
  error: unknown,
  redirect: VerifiedRedirect | undefined,
  clientId?: string,
): Promise<Response> {
  const shown = { theme: ctx.pageTheme, clientId: redirect?.client.clientId ?? clientId };
  if (error instanceof OAuthError) {
    if (error.redirectable && redirect !== undefined) return authorizationErrorRedirect(ctx, redirect, error);
    return errorPage(error, shown);
  }
  if (isStoreUnavailableError(error)) {
    // Our page, never a redirect: the client could not tell a retryable outage from a refusal.
    const unavailable = storeUnavailable(error, ctx.logger);
    const page = await errorPage(unavailable, shown);
    for (const [name, value] of Object.entries(unavailable.headers)) page.headers.set(name, value);
    return page;
  }
  ctx.logger.error({ err: error }, 'authorization flow failed');
  return errorPage(
    new OAuthError('server_error', {
      reason: 'internal',
      description: 'the server could not complete the request',
    }),
    shown,
  );
}

export interface CodeIssue {
  redirect: VerifiedRedirect;
  userId: string;
  authTime: number;
  grantId: string;
  scope: readonly string[];
  resources: readonly string[];
  codeChallenge: string;
  /** RFC 9449 §10: the DPoP key thumbprint the code is bound to (`dpop_jkt`). */
  dpopJkt?: string | undefined;
}

/** Mints the one-time code (RFC 6749 §4.1.2: short-lived, single use) and redirects with it. */
export async function issueCode(ctx: CodeIssuing, issue: CodeIssue): Promise<Response> {
  const code = randomToken();
  const now = ctx.clock();
  await ctx.store.authorizationCodes.create({
    digest: digest(code),
    clientId: issue.redirect.client.clientId,
    userId: issue.userId,
    grantId: issue.grantId,
    redirectUri: issue.redirect.redirectUri,
    redirectUriSent: issue.redirect.redirectUriSent,
    codeChallenge: issue.codeChallenge,
    scope: [...issue.scope],
    resources: [...issue.resources],
    authTime: issue.authTime,
    issuedAt: now,
    expiresAt: now + ctx.lifetimes.authorizationCodeSeconds * 1000,
    ...(issue.dpopJkt === undefined ? {} : { dpopJkt: issue.dpopJkt }),
  });
  return redirectTo(
    withResponseParameters(issue.redirect.redirectUri, {
      code,
      state: issue.redirect.state,
      iss: ctx.issuer,
    }),
  );
}
