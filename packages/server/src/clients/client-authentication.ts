import { OAuthError, type Parameters } from '@gatehouse/core';
import { digest, safeEqual } from '../crypto/digest.ts';
import type { ClientRecord } from '../store/store.ts';
import type { ClientResolver } from './client-resolver.ts';

/**
 * Client authentication at the token, revocation and introspection endpoints, RFC 6749 §2.3:
 * - `client_secret_basic`: HTTP Basic with form-urlencoded id and secret (§2.3.1);
 * - `client_secret_post`: client_id and client_secret in the body;
 * - `none`: a public client names itself with client_id (OAuth 2.1 §2.4).
 * A client uses exactly the method it registered (no downgrade from secret to none), and a request
 * that uses more than one method is refused (§2.3: "MUST NOT use more than one").
 */
export type AuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt';

export interface AuthenticatedClient {
  client: ClientRecord;
  method: AuthenticationMethod;
}

interface Presented {
  clientId: string;
  method: AuthenticationMethod;
  secret?: string;
}

export async function authenticateClient(
  request: Request,
  parameters: Parameters,
  resolver: ClientResolver,
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

  const client = await resolver.resolve(presented.clientId);
  if (client === undefined) throw fail('client_unknown', 'client authentication failed');
  const registered = client.metadata.token_endpoint_auth_method;
  if (registered !== presented.method) {
    throw fail('auth_method_mismatch', `this client must authenticate with ${registered}`);
  }
  if (presented.method === 'none') return { client, method: 'none' };
  if (presented.method === 'private_key_jwt') {
    throw fail('auth_method_unsupported', 'private_key_jwt is not supported yet');
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

function presentedCredentials(request: Request, parameters: Parameters): Presented {
  const authorization = request.headers.get('authorization');
  const bodyId = parameters.get('client_id');
  const bodySecret = parameters.get('client_secret');
  const assertion = parameters.get('client_assertion');
  const methods = [authorization !== null, bodySecret !== undefined, assertion !== undefined].filter(
    Boolean,
  ).length;
  if (methods > 1) {
    throw new OAuthError('invalid_request', {
      reason: 'multiple_auth_methods',
      description: 'use exactly one client authentication method',
    });
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
  if (assertion !== undefined) return { clientId: bodyId, method: 'private_key_jwt' };
  return { clientId: bodyId, method: 'none' };
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
