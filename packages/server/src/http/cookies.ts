import { parse, serialize } from 'hono/utils/cookie';

/**
 * Browser cookies of the login and consent pages. HttpOnly, SameSite=Lax (a cross-site POST does
 * not carry them: the first CSRF defence), Secure whenever the issuer is https.
 */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (header === null) return undefined;
  return parse(header, name)[name];
}

export function cookieHeader(
  name: string,
  value: string,
  options: { secure: boolean; maxAgeSeconds?: number; path: string },
): string {
  return serialize(name, value, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: options.secure,
    path: options.path,
    ...(options.maxAgeSeconds === undefined ? {} : { maxAge: options.maxAgeSeconds }),
  });
}
