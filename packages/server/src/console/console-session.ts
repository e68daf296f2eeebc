/**
 * The admin console's sign-in session (issue #15, decision 0040). A random 256-bit value in a
 * cookie (`__Host-` prefixed, Secure when the issuer is https; always HttpOnly and SameSite=Strict,
 * so no other site's link or form carries it); the store keeps only a digest of it, in the sessions
 * table the user login uses, under a prefix of its own: a user's login cookie never opens the
 * console and a console cookie is no user login.
 *
 * Two expiries: idle (no request for `idleSeconds`) and absolute (`absoluteSeconds` after sign-in,
 * whatever the activity). The stored expiry is the idle one; a request that finds it more than a
 * quarter spent moves it on by issuing a new value (the old one is deleted), so an active operator
 * stays signed in and a stolen old cookie stops working. The absolute limit is the sign-in time
 * plus `absoluteSeconds`, never moved.
 */

import { serialize } from 'hono/utils/cookie';
import { digest, randomToken } from '../crypto/digest.ts';
import { readCookie } from '../http/cookies.ts';
import type { SessionRecord, SessionStore, UserRecord, UserStore } from '../store/store.ts';

export interface ConsoleSessionSettings {
  secureCookies: boolean;
  idleSeconds: number;
  absoluteSeconds: number;
}

export interface ConsoleSessionDeps extends ConsoleSessionSettings {
  sessions: SessionStore;
  users: Pick<UserStore, 'get'>;
  clock: () => number;
}

/** A signed-in admin, as the pages and the CSRF check know them. */
export interface ConsoleSignIn {
  user: UserRecord;
  session: SessionRecord;
  /** Set-Cookie to send when the session's value was renewed by this request. */
  setCookie?: string;
}

export const CONSOLE_IDLE_SECONDS = 30 * 60;
export const CONSOLE_ABSOLUTE_SECONDS = 12 * 60 * 60;

export function consoleCookieName(secure: boolean): string {
  return `${secure ? '__Host-' : ''}gatehouse-console`;
}

/** The stored digest of a console cookie's value: a prefix of its own (see above). */
function sessionDigest(value: string): string {
  return digest(`console-session:${value}`);
}

function cookie(deps: ConsoleSessionSettings, value: string, maxAgeSeconds: number): string {
  return serialize(consoleCookieName(deps.secureCookies), value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: deps.secureCookies,
    path: '/',
    maxAge: maxAgeSeconds,
  });
}

export async function startConsoleSession(
  deps: ConsoleSessionDeps,
  user: UserRecord,
): Promise<{ session: SessionRecord; setCookie: string }> {
  const now = deps.clock();
  const value = randomToken();
  const session: SessionRecord = {
    digest: sessionDigest(value),
    userId: user.id,
    authTime: now,
    expiresAt: Math.min(now + deps.idleSeconds * 1000, now + deps.absoluteSeconds * 1000),
  };
  await deps.sessions.create(session);
  return { session, setCookie: cookie(deps, value, deps.absoluteSeconds) };
}

/**
 * The admin the request's cookie names, renewing the idle expiry when it is a quarter spent;
 * undefined when there is no such session, it expired, or the account is no longer an enabled
 * admin (the role is checked at every request, so `users revoke-admin` takes effect at once).
 */
export async function currentConsoleSession(
  deps: ConsoleSessionDeps,
  request: Request,
): Promise<ConsoleSignIn | undefined> {
  const value = readCookie(request, consoleCookieName(deps.secureCookies));
  if (value === undefined || !/^[A-Za-z0-9_-]{43}$/.test(value)) return undefined;
  const now = deps.clock();
  const session = await deps.sessions.get(sessionDigest(value), now);
  if (session === undefined) return undefined;
  const absoluteEnd = session.authTime + deps.absoluteSeconds * 1000;
  if (now >= absoluteEnd) return undefined;
  const user = await deps.users.get(session.userId);
  if (user === undefined || user.admin !== true || user.disabledAt !== undefined) return undefined;
  const idleMs = deps.idleSeconds * 1000;
  if (session.expiresAt - now > idleMs * 0.75) return { user, session };
  // Renew: a new value with the idle expiry moved on (never past the absolute end), the old deleted.
  const renewedValue = randomToken();
  const renewed: SessionRecord = {
    digest: sessionDigest(renewedValue),
    userId: session.userId,
    authTime: session.authTime,
    expiresAt: Math.min(now + idleMs, absoluteEnd),
  };
  await deps.sessions.create(renewed);
  await deps.sessions.delete(session.digest);
  const left = Math.max(1, Math.ceil((absoluteEnd - now) / 1000));
  return { user, session: renewed, setCookie: cookie(deps, renewedValue, left) };
}

/** Ends the session the request names (if any); the Set-Cookie that clears the browser's copy. */
export async function endConsoleSession(deps: ConsoleSessionDeps, request: Request): Promise<string> {
  const value = readCookie(request, consoleCookieName(deps.secureCookies));
  if (value !== undefined && value.length <= 100) await deps.sessions.delete(sessionDigest(value));
  return cookie(deps, '', 0);
}
