import type { ServerContext } from '../context.ts';
import { digest, randomToken } from '../crypto/digest.ts';
import { cookieHeader, readCookie } from '../http/cookies.ts';
import type { SessionRecord } from '../store/store.ts';

/** What the browser's login session and binding cookie need. */
export type BrowserSessionDeps = Pick<
  ServerContext,
  'secureCookies' | 'store' | 'clock' | 'lifetimes' | 'userStanding'
>;

/**
 * The browser side of login. Two cookies, both HttpOnly and SameSite=Lax, with the `__Host-`
 * prefix when the issuer is https (no Domain, Path=/, Secure: a sibling subdomain cannot plant them):
 * - the session: who is logged in (a random value; the store keeps only its digest);
 * - the browser binding: ties an authorization request to the browser that started it, so a login
 *   or consent form cannot be completed from another browser (login CSRF, session swapping).
 */
function names(ctx: Pick<ServerContext, 'secureCookies'>) {
  const prefix = ctx.secureCookies ? '__Host-' : '';
  return { session: `${prefix}gatehouse-session`, binding: `${prefix}gatehouse-binding` };
}

/**
 * The login session the request's cookie names. A session of a disabled or removed account is no
 * session (issue #16): silent authorization answers login_required, and the login page asks again,
 * where a disabled account cannot log in (users/user-authentication.ts).
 */
export async function currentSession(
  ctx: Pick<BrowserSessionDeps, 'secureCookies' | 'store' | 'clock' | 'userStanding'>,
  request: Request,
): Promise<SessionRecord | undefined> {
  const value = readCookie(request, names(ctx).session);
  if (value === undefined || value.length > 100) return undefined;
  const session = await ctx.store.sessions.get(digest(value), ctx.clock());
  if (session === undefined || (await ctx.userStanding(session.userId)) !== 'active') return undefined;
  return session;
}

export async function startSession(
  ctx: BrowserSessionDeps,
  userId: string,
): Promise<{ session: SessionRecord; setCookie: string }> {
  const value = randomToken();
  const now = ctx.clock();
  const session: SessionRecord = {
    digest: digest(value),
    userId,
    authTime: now,
    expiresAt: now + ctx.lifetimes.loginSessionSeconds * 1000,
  };
  await ctx.store.sessions.create(session);
  const setCookie = cookieHeader(names(ctx).session, value, {
    secure: ctx.secureCookies,
    path: '/',
    maxAgeSeconds: ctx.lifetimes.loginSessionSeconds,
  });
  return { session, setCookie };
}

/**
 * Signs the browser out: the session the cookie names is deleted from the store (so a copy of the
 * cookie opens nothing any more, on any instance) and the cookie is cleared. Returns the clearing
 * `Set-Cookie`.
 */
export async function endSession(
  ctx: Pick<BrowserSessionDeps, 'secureCookies' | 'store'>,
  request: Request,
): Promise<{ setCookie: string }> {
  const value = readCookie(request, names(ctx).session);
  if (value !== undefined && value.length <= 100) await ctx.store.sessions.delete(digest(value));
  return {
    setCookie: cookieHeader(names(ctx).session, '', {
      secure: ctx.secureCookies,
      path: '/',
      maxAgeSeconds: 0,
    }),
  };
}

/** The browser's binding value: the existing cookie, or a new one to set. */
export function browserBinding(
  ctx: Pick<ServerContext, 'secureCookies'>,
  request: Request,
): { digest: string; setCookie?: string } {
  const existing = readCookie(request, names(ctx).binding);
  if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { digest: digest(existing) };
  const value = randomToken();
  return {
    digest: digest(value),
    setCookie: cookieHeader(names(ctx).binding, value, { secure: ctx.secureCookies, path: '/' }),
  };
}

export function bindingDigestOf(
  ctx: Pick<ServerContext, 'secureCookies'>,
  request: Request,
): string | undefined {
  const value = readCookie(request, names(ctx).binding);
  return value === undefined ? undefined : digest(value);
}
