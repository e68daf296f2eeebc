import { OAuthError, readParameters } from '@gatehouse-oauth/core';

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, §4.1.3: the token endpoint
 * takes nothing else) with a byte cap, so a huge or never-ending body cannot hold memory.
 */
export const MAX_FORM_BYTES = 64 * 1024;

export interface FormBody {
  parameters: Map<string, string>;
  /** The raw pairs, for parameters that may repeat (RFC 8707 `resource`). */
  raw: URLSearchParams;
}

export async function readFormBody(request: Request): Promise<FormBody> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', {
      reason: 'content_type',
      description: 'the request body must be application/x-www-form-urlencoded',
    });
  }
  const text = await readCappedText(request, MAX_FORM_BYTES);
  const raw = new URLSearchParams(text);
  return { parameters: readParameters(raw), raw };
}

/** Stateless between calls (no `stream` option), so one decoder serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const DECIMAL = /^\d+$/;

/**
 * The body as UTF-8 text, at most `maxBytes`, else 413 `body_too_large`.
 *
 * Two ways in (docs/decisions/0021-http-adapter-fast-paths.md):
 * - a declared `Content-Length` within the cap: the body is read whole with `arrayBuffer()`. HTTP
 *   framing bounds it (RFC 9112 §6.3: the message ends after that many bytes; RFC 9113 §8.1.1: an
 *   HTTP/2 request whose DATA differs from it is malformed), and on a Node adapter's Request this
 *   reads the socket directly instead of building a web stream over it (issue #8 profile: the
 *   stream path was ~8 % of a PAR's CPU). The size is checked again after the read, for a Request
 *   built in process with a header smaller than its body.
 * - no `Content-Length` (chunked): the stream, counted chunk by chunk and cancelled past the cap.
 */
export async function readCappedText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new OAuthError('invalid_request', {
      reason: 'body_too_large',
      description: 'the request body is too large',
      status: 413,
    });
  try {
    return await readBody(request, maxBytes, tooLarge);
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    // The client went away or stalled past the listener's request timeout (issue #18 finding 8):
    // its fault, not the server's, in the log and the metrics. Nobody reads the answer.
    throw new OAuthError('invalid_request', {
      reason: 'body_aborted',
      description: 'the request body was not received in full',
    });
  }
}

async function readBody(request: Request, maxBytes: number, tooLarge: () => OAuthError): Promise<string> {
  const header = request.headers.get('content-length');
  const declared = header === null ? undefined : header.trim();
  if (declared !== undefined && DECIMAL.test(declared)) {
    if (Number(declared) > maxBytes) throw tooLarge();
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge();
    return decodeUtf8(bytes);
  }
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return decodeUtf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new OAuthError('invalid_request', {
      reason: 'body_not_utf8',
      description: 'the request body is not UTF-8',
    });
  }
}
