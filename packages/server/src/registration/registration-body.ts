import { isOAuthError, OAuthError } from '@gatehouse-oauth/core';
import { readCappedText } from '../http/form-body.ts';

/**
 * Reads an RFC 7591 §3.1 / RFC 7592 §2.2 request body: `application/json`, at most 64 KiB, one JSON
 * object (DCR-EP-1) nested at most MAX_REGISTRATION_DEPTH deep. Every failure is `invalid_client_metadata` (RFC 7591 §3.2.2 has no
 * `invalid_request`; a body that cannot be read as metadata is bad metadata), 400, or 413 for a
 * body over the cap. Never a 500, whatever arrives.
 */
export const MAX_REGISTRATION_BYTES = 64 * 1024;
/**
 * The deepest nesting of arrays and objects a body may have. Client metadata is flat: its deepest
 * member, `jwks`, is object → keys array → key object → (`x5c`) array, four levels under the body.
 * Issue #18 finding 6: a jwks key member nested 30,000 deep (64 KiB of brackets) made a 500, a
 * stack overflow in the recursion over the parsed value; the text is refused before JSON.parse or
 * anything after it recurses over it.
 */
export const MAX_REGISTRATION_DEPTH = 32;

export async function readRegistrationBody(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw bodyError('content_type', 'the request body must be application/json');
  }
  let text: string;
  try {
    text = await readCappedText(request, MAX_REGISTRATION_BYTES);
  } catch (error) {
    if (!isOAuthError(error)) throw error;
    throw bodyError(error.reason, error.description ?? 'unreadable body', error.status);
  }
  if (exceedsDepth(text, MAX_REGISTRATION_DEPTH)) {
    throw bodyError('body_too_deep', `the request body nests deeper than ${MAX_REGISTRATION_DEPTH} levels`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bodyError('body_not_json', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bodyError('body_not_object', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function bodyError(reason: string, description: string, status = 400): OAuthError {
  return new OAuthError('invalid_client_metadata', { reason, description, status });
}

/**
 * Whether JSON text nests arrays and objects deeper than `max`: one pass over the (capped) text,
 * no recursion, no allocation. Brackets inside strings do not count; the text need not be valid
 * JSON (JSON.parse judges that afterwards), so malformed input is only ever refused, never trusted.
 */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \\ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}
