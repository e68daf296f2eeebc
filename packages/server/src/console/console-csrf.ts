/**
 * CSRF protection of every console form (issue #15, decision 0040), in two layers besides the
 * SameSite=Strict cookie:
 *
 * - a per-session token in every form: an HMAC, under a server secret every instance shares, of the
 *   session's user and sign-in time. It stays the same when the session's cookie value is renewed
 *   (console-session.ts), so an open tab's forms keep working, and it cannot be computed without
 *   the secret, so another site cannot put a valid one in its form;
 * - the Origin header: a browser sends it on every POST; it must be the console's own origin.
 *
 * Either failing is a 403 that changes nothing.
 */
import { createHmac } from 'node:crypto';
import { randomToken, safeEqual } from '../crypto/digest.ts';
import type { ServerSecretStore, SessionRecord } from '../store/store.ts';

export const CSRF_FIELD = 'csrf';
const SECRET_NAME = 'console-csrf';

export interface ConsoleCsrf {
  tokenFor(session: SessionRecord): Promise<string>;
  /** Whether a POST's form token and Origin are the console's own. */
  check(request: Request, session: SessionRecord, form: ReadonlyMap<string, string>): Promise<boolean>;
}

/**
 * @param origins origins besides the request's own that serve the console (the issuer's, when a
 *   proxy in front rewrites the Host the server sees).
 */
export function createConsoleCsrf(secrets: ServerSecretStore, origins: readonly string[] = []): ConsoleCsrf {
  let key: Promise<string> | undefined;
  const secret = () => {
    key ??= secrets.getOrCreate(SECRET_NAME, () => randomToken());
    return key;
  };
  const tokenFor = async (session: SessionRecord) =>
    createHmac('sha256', await secret())
      .update(`${session.userId}\n${session.authTime}`)
      .digest('base64url');
  return {
    tokenFor,
    async check(request, session, form) {
      if (!sameOrigin(request, origins)) return false;
      const given = form.get(CSRF_FIELD);
      return given !== undefined && safeEqual(given, await tokenFor(session));
    },
  };
}

/** The Origin header names the request's own origin (a missing one is refused: browsers send it on POST). */
export function sameOrigin(request: Request, origins: readonly string[] = []): boolean {
  const origin = request.headers.get('origin');
  return origin !== null && (origin === new URL(request.url).origin || origins.includes(origin));
}
