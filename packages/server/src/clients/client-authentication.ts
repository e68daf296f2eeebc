import { OAuthError, type Parameters } from '@gatehouse-oauth/core';
import { digest, safeEqual } from '../crypto/digest.ts';
import type { ClientRecord } from '../store/store.ts';
import type { ClientResolver } from './client-resolver.ts';
import {
  assertedClientId,
  CLIENT_ASSERTION_TYPE,
  type ClientAssertionContext,
  verifyClientAssertion,
} from './private-key-jwt.ts';

/**
 * Client authentication at the token, revocation and introspection endpoints, RFC 6749 §2.3:
 * - `client_secret_basic`: HTTP Basic with form-urlencoded id and secret (§2.3.1);
 * - `client_secret_post`: client_id and client_secret in the body;
 * - `private_key_jwt`: a JWT signed with one of the client's keys, RFC 7523 §2.2 / RFC 7521 §4.2
 *   (private-key-jwt.ts);
 * - `none`: a public client names itself with client_id (OAuth 2.1 §2.4).
 * A client uses exactly the method it registered: no downgrade from a secret or a key to none, and
 * none from a key to a secret (CIMD-AUTH-2). A request that uses more than one method is refused
 * (§2.3: "MUST NOT use more than one").
 */
export type AuthenticationMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'none'
  | 'private_key_jwt'
  /** A workload's own platform token, at the jwt-bearer grant only (grants/workload-identity.ts). */
  | 'workload_token';

export interface AuthenticatedClient {
  client: ClientRecord;
  method: AuthenticationMethod;
  /** private_key_jwt only: RFC 7638 SHA-256 thumbprint of the key that signed (AT-9 binding). */
  keyThumbprint?: string;
}

/**
 * What client authentication needs: the resolver, and for private_key_jwt the server's identifiers,
 * the replay store and the client JWKS cache. The server context is one; without
 * `clientAssertions`, every other method still works and private_key_jwt is refused.
 */
export interface ClientAuthenticationDependencies {
  clients: ClientResolver;
  clientAssertions?: ClientAssertionContext;
}

interface Presented {
  clientId: string;
  method: AuthenticationMethod;
  secret?: string;
  assertion?: string;
}

export async function authenticateClient(
  request: Request,
  parameters: Parameters,
  dependencies: ClientAuthenticationDependencies,
  now: number,
): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(request, parameters);
  const usedBasic = presented.method === 'client_secret_basic';
  const fail = (reason: string, description: string) =>
    new OAuthError('invalid_client', {
      reason,
      description,
      // RFC 6749 §5.2: a client that tried HTTP Basic gets 401 with a WWW-Authenticate challenge.
      ...(usedBasic ? { headers: { 'www-authenticate': 'Basic realm="gatehouse", charset="UTF-8"' } } : {}),
    });

  const client = await dependencies.clients.resolve(presented.clientId);
  if (client === undefined) throw fail('client_unknown', 'client authentication failed');
  const registered = client.metadata.token_endpoint_auth_method;
  if (registered !== presented.method) {
    throw fail('auth_method_mismatch', `this client must authenticate with ${registered}`);
  }
  if (presented.method === 'none') return { client, method: 'none' };
  if (presented.method === 'private_key_jwt') {
    const context = dependencies.clientAssertions;
    if (context === undefined || presented.assertion === undefined) {
      throw fail('auth_method_unsupported', 'private_key_jwt is not available on this endpoint');
    }
    const { keyThumbprint } = await verifyClientAssertion(presented.assertion, client, context, now);
    return { client, method: 'private_key_jwt', keyThumbprint };
  }
  if (
    client.secretDigest === undefined ||
    presented.secret === undefined ||
    !safeEqual(digest(presented.secret), client.secretDigest)
  ) {
    throw fail('client_secret_mismatch', 'client authentication failed');
  }
  if (client.secretExpiresAt !== undefined && client.secretExpiresAt <= now) {
    throw fail('client_secret_expired', 'the client secret has expired');
  }
  return { client, method: presented.method };
}

/**
 * The client_id a request names, for its log line (never for a decision): the form's, else HTTP
 * Basic's. Undefined when there is none, or the Basic credentials are malformed.
 */
export function presentedClientId(request: Request, parameters: Parameters): string | undefined {
  const bodyId = parameters.get('client_id');
  if (bodyId !== undefined) return bodyId;
  const authorization = request.headers.get('authorization');
  if (authorization === null) return undefined;
  try {
    return parseBasic(authorization).clientId;
  } catch {
    return undefined;
  }
}

function presentedCredentials(request: Request, parameters: Parameters): Presented {
  const authorization = request.headers.get('authorization');
  const bodyId = parameters.get('client_id');
  const bodySecret = parameters.get('client_secret');
  const assertion = parameters.get('client_assertion');
  const assertionType = parameters.get('client_assertion_type');
  const usesAssertion = assertion !== undefined || assertionType !== undefined;
  const methods = [authorization !== null, bodySecret !== undefined, usesAssertion].filter(Boolean).length;
  if (methods > 1) {
    throw new OAuthError('invalid_request', {
      reason: 'multiple_auth_methods',
      description: 'use exactly one client authentication method',
    });
  }
  if (usesAssertion) {
    return presentedAssertion(assertion, assertionType, bodyId);
  }
  if (authorization !== null) {
    const basic = parseBasic(authorization);
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new OAuthError('invalid_request', {
        reason: 'client_id_conflict',
        description: 'client_id in the body differs from the authenticated client',
      });
    }
    return { clientId: basic.clientId, method: 'client_secret_basic', secret: basic.secret };
  }
  if (bodyId === undefined) {
    throw new OAuthError('invalid_client', {
      reason: 'client_id_missing',
      description: 'client authentication is required',
    });
  }
  if (bodySecret !== undefined) return { clientId: bodyId, method: 'client_secret_post', secret: bodySecret };
  return { clientId: bodyId, method: 'none' };
}

/**
 * RFC 7521 §4.2: `client_assertion_type` names the assertion format (only the RFC 7523 §2.2 JWT
 * one here) and `client_assertion` carries it; `client_id` is optional, and when present it must
 * name the same client as the assertion. The client_id comes from the assertion's sub (RFC 7523 §3).
 */
function presentedAssertion(
  assertion: string | undefined,
  assertionType: string | undefined,
  bodyId: string | undefined,
): Presented {
  if (assertionType !== CLIENT_ASSERTION_TYPE) {
    throw new OAuthError('invalid_client', {
      reason: 'assertion_type',
      description: `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`,
    });
  }
  if (assertion === undefined || assertion === '') {
    throw new OAuthError('invalid_client', {
      reason: 'assertion_malformed',
      description: 'client_assertion is missing',
    });
  }
  const clientId = assertedClientId(assertion);
  if (bodyId !== undefined && bodyId !== clientId) {
    throw new OAuthError('invalid_client', {
      reason: 'assertion_client_id_mismatch',
      description: 'client_id differs from the client_assertion iss and sub',
    });
  }
  return { clientId, method: 'private_key_jwt', assertion };
}

function parseBasic(header: string): { clientId: string; secret: string } {
  const malformed = () =>
    new OAuthError('invalid_client', {
      reason: 'basic_malformed',
      description: 'malformed HTTP Basic credentials',
      headers: { 'www-authenticate': 'Basic realm="gatehouse", charset="UTF-8"' },
    });
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (match === null) throw malformed();
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw malformed();
  try {
    // RFC 6749 §2.3.1: both parts are application/x-www-form-urlencoded before base64.
    const clientId = decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' '));
    if (clientId === '') throw malformed();
    return { clientId, secret };
  } catch {
    throw malformed();
  }
}
