import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { dropExpiredWhenFull } from './expired-first.ts';
import { fetchJsonObject, type UpstreamOptions } from './upstream.ts';
import {
  audienceContains,
  confirmationThumbprint,
  invalidToken,
  scopeTokens,
  type VerifiedToken,
} from './verified-token.ts';

/**
 * Token introspection, RFC 7662, as the alternative to local JWT verification: the authorization
 * server says whether the token is active (so a revoked token stops working at once rather than at
 * `exp`), and the resource server still applies its own audience, expiry, scope and DPoP checks to
 * the answer (RFC 7662 §4: the resource server decides; MCP-10: only tokens for this resource).
 *
 * The resource server authenticates with `client_secret_basic` (RFC 6749 §2.3.1, id and secret
 * form-urlencoded before base64). Active answers are cached by token hash for a short time, never
 * past the token's `exp`; inactive answers and failures are not cached.
 */
export interface IntrospectionClientOptions {
  issuer: string;
  resource: string;
  endpoint: () => Promise<string>;
  clientId: string;
  clientSecret: string;
  upstream: UpstreamOptions;
  clockSkewSeconds: number;
  cacheMs: number;
  maxCacheEntries: number;
}

export function createIntrospectionClient(options: IntrospectionClientOptions) {
  // Token hash → answer. Bounded by lru-cache (decision 0023); read with `peek`, so the oldest
  // insertion is the one evicted, as before. At least 1: lru-cache needs a bound, and with
  // `cacheMs <= 0` nothing is stored anyway.
  const cache = new LRUCache<string, { token: VerifiedToken; until: number }>({
    max: Math.max(1, options.maxCacheEntries),
  });
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  const authorization = `Basic ${Buffer.from(`${encode(options.clientId)}:${encode(options.clientSecret)}`).toString('base64')}`;

  const remember = (key: string, token: VerifiedToken, now: number) => {
    if (options.cacheMs <= 0) return;
    // Expired answers go first; still full, lru-cache drops the oldest: they are only a cache.
    dropExpiredWhenFull(cache, key, (entry) => entry.until <= now);
    cache.set(key, { token, until: Math.min(now + options.cacheMs, token.expiresAt * 1000) });
  };

  return async function introspect(token: string, now: number): Promise<VerifiedToken> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = cache.peek(key);
    if (cached !== undefined && cached.until > now) return check(cached.token, now, options.clockSkewSeconds);
    if (cached !== undefined) cache.delete(key);

    const answer = await fetchJsonObject(options.upstream, await options.endpoint(), {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    });
    // §2.2: `active` is the only required member; anything but `true` is an inactive token.
    if (answer.active !== true) throw invalidToken('token_inactive', 'the access token is not active');
    const verified = fromIntrospection(answer, options);
    const checked = check(verified, now, options.clockSkewSeconds);
    remember(key, verified, now);
    return checked;
  };
}

function fromIntrospection(
  answer: Record<string, unknown>,
  options: IntrospectionClientOptions,
): VerifiedToken {
  // A refresh token is active too at Gatehouse's endpoint; it is never an access token (RFC 6749 §1.5).
  if (answer.token_type === 'refresh_token') {
    throw invalidToken('token_not_access_token', 'a refresh token is not an access token');
  }
  if (answer.iss !== undefined && answer.iss !== options.issuer) {
    throw invalidToken('token_issuer', 'the access token was issued by another authorization server');
  }
  // MCP-10: the answer must say the token is for this resource; a token without aud is refused.
  if (!audienceContains(answer.aud, options.resource)) {
    throw invalidToken('token_audience', 'the access token was not issued for this resource');
  }
  const scopes = scopeTokens(answer.scope);
  const jkt = confirmationThumbprint(answer);
  if (
    scopes === undefined ||
    jkt === null ||
    // RFC 9449 §6.2: a DPoP token is described with the key it is bound to; without it, it
    // could not be held to that key here, so it is not accepted at all.
    (answer.token_type === 'DPoP' && jkt === undefined) ||
    typeof answer.client_id !== 'string' ||
    typeof answer.sub !== 'string' ||
    typeof answer.exp !== 'number' ||
    !Number.isFinite(answer.exp)
  ) {
    throw invalidToken('token_claims', 'the introspection answer is missing required members');
  }
  return {
    clientId: answer.client_id,
    subject: answer.sub,
    scopes,
    expiresAt: answer.exp,
    ...(jkt === undefined ? {} : { jkt }),
    claims: answer,
  };
}

function check(token: VerifiedToken, now: number, skewSeconds: number): VerifiedToken {
  if (token.expiresAt + skewSeconds <= now / 1000)
    throw invalidToken('token_expired', 'the access token expired');
  const nbf = token.claims.nbf;
  if (typeof nbf === 'number' && nbf - skewSeconds > now / 1000) {
    throw invalidToken('token_not_yet_valid', 'the access token is not valid yet');
  }
  return token;
}
