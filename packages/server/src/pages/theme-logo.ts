import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigurationError } from '../config/configuration-error.ts';

/** The operator's logo (`theme.logoFile`), read once at start and served from this origin. */
export interface ThemeLogo {
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
};

const MAX_BYTES = 256 * 1024;

/**
 * Reads the logo file at start: a missing, unreadable, oversized or unknown kind of file stops the
 * server with the key named, as any wrong setting does, rather than a page with a broken image.
 */
export function loadThemeLogo(path: string | undefined): ThemeLogo | undefined {
  if (path === undefined) return undefined;
  const contentType = TYPES[extname(path).toLowerCase()];
  const problem = (message: string) => new ConfigurationError([{ path: ['theme', 'logoFile'], message }]);
  if (contentType === undefined) throw problem('must be a .png, .jpg, .jpeg, .webp or .svg file');
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw problem(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes.byteLength > MAX_BYTES) throw problem('must be at most 256 KiB');
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`;
  return { bytes: new Uint8Array(bytes), contentType, etag };
}

/**
 * The logo's answer. An SVG is an image here, never a document: `sandbox` and no script keep one
 * opened on its own from running anything (the client logos do the same, CIMD-CACHE-6).
 */
export function themeLogoResponse(logo: ThemeLogo | undefined, request: Request): Response {
  if (logo === undefined)
    return new Response(null, { status: 404, headers: { 'cache-control': 'no-store' } });
  const headers = {
    'content-type': logo.contentType,
    'cache-control': 'public, max-age=3600',
    etag: logo.etag,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  };
  if (request.headers.get('if-none-match') === logo.etag) return new Response(null, { status: 304, headers });
  return new Response(logo.bytes, { headers });
}
