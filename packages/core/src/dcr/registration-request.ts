import { z } from 'zod';
import { type Finding, warning } from '../cimd/finding.ts';
import {
  type ClientMetadata,
  clientMetadataSchema,
  type TokenEndpointAuthMethod,
} from '../client-metadata.ts';
import { OAuthError } from '../oauth-error.ts';
import {
  CONTROL_CHARACTER,
  checkRedirectUriSyntax,
  isLoopbackRedirectUri,
  rawAuthority,
} from '../redirect-uri.ts';

/**
 * A client registration request, RFC 7591 §2 and §3.1 (DCR-EP-1, -4, -5, DCR-MD-1…8, DCR-SEC-1),
 * with MCP-7 (`application_type`) and MCP-12 (https or loopback redirects). Also the body of an
 * RFC 7592 §2.2 update, which is validated the same way (the server strips and checks the fields
 * that only an update may carry before calling this).
 *
 * Pure: input is the parsed JSON body (with a software statement's claims already laid over it by
 * the server, DCR-MD-11); output is the metadata to register, defaults filled in. Errors use the
 * RFC 7591 §3.2.2 codes exactly: `invalid_redirect_uri` for anything wrong with a redirect URI,
 * `invalid_client_metadata` for any other field (DCR-ERR-2).
 *
 * Server-provisioned members a client may echo back (client_id, client_secret, the issued-at and
 * expiry times, the registration access token and URI) are not metadata the client chooses: they
 * are dropped like any unknown member (DCR-EP-5) and reported as warnings, never honoured. The
 * client can never pick its own client_id or secret.
 */
export interface RegistrationPolicy {
  /** Grant types the server supports; anything else is refused. Default authorization_code, refresh_token. */
  supportedGrantTypes?: readonly string[];
  /** Token endpoint authentication methods offered to registered clients. Default: all four. */
  supportedAuthMethods?: readonly TokenEndpointAuthMethod[];
  /** Accepted `token_endpoint_auth_signing_alg` values (asymmetric only). Default: the value is refused. */
  supportedSigningAlgs?: readonly string[];
  /**
   * Whether an IP literal host may not appear in a URI member (logo_uri, jwks_uri, ...): the server
   * passes safe-fetch's special-purpose check (the IANA tables), so core stays free of I/O and no
   * second table exists. Default: no literal is refused.
   */
  isRefusedAddress?: (address: string) => boolean;
  /**
   * Development only: http URI members on a loopback host (`http://localhost`, `127.0.0.1`,
   * `[::1]`) are accepted, for a client under development on the same machine. Never jwks_uri,
   * which is fetched over https only. Default false.
   */
  allowLoopbackHttpUris?: boolean;
}

/** What gets registered: client metadata without the client_id, which the server assigns. */
export type RegistrationMetadata = Omit<ClientMetadata, 'client_id'> & {
  // zod's output type for an optional member; the key itself is absent when not given.
  token_endpoint_auth_signing_alg?: string | undefined;
};

export interface RegistrationRequestResult {
  metadata: RegistrationMetadata;
  /** Warnings only (errors throw): dropped provisioned members, unusual redirect choices. */
  findings: Finding[];
}

export const DEFAULT_REGISTRATION_GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token'];
const ALL_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

/** Members the server provisions (RFC 7591 §3.2.1, RFC 7592 §3); never taken from a request. */
export const PROVISIONED_MEMBERS = [
  'client_id',
  'client_secret',
  'client_id_issued_at',
  'client_secret_expires_at',
  'registration_access_token',
  'registration_client_uri',
] as const;

const registrationSchema = clientMetadataSchema.omit({ client_id: true }).extend({
  // Read as a free string, so an unsupported method is reported by name (DCR-MD-2).
  token_endpoint_auth_method: z.string().min(1).max(64).default('client_secret_basic'),
  token_endpoint_auth_signing_alg: z.string().min(1).max(32).optional(),
});

export function validateRegistrationRequest(
  body: unknown,
  policy: RegistrationPolicy = {},
): RegistrationRequestResult {
  const findings: Finding[] = [];
  // DCR-EP-1 MUST: the metadata are the top-level members of a JSON object.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw metadataError('body_not_object', 'the request body must be a JSON object');
  }
  for (const member of PROVISIONED_MEMBERS) {
    if (Object.hasOwn(body, member)) {
      findings.push(
        warning('DCR-EP-6', 'provisioned_member_ignored', `${member} is assigned by the server; ignored`),
      );
    }
  }
  // On the members as sent: the schema's URL check returns the string with tabs and newlines
  // removed, so checking its output would accept, and then store, a URI the client never sent.
  for (const field of URI_MEMBERS) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === 'string') checkUriMember(field, value, policy);
  }
  // DCR-EP-5 MUST: unknown members are dropped (zod strips them). DCR-MD-2..4: RFC 7591 defaults.
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || 'metadata';
    const description = `${path}: ${issue?.message ?? 'invalid'}`;
    if (issue?.path[0] === 'redirect_uris') {
      throw new OAuthError('invalid_redirect_uri', { reason: 'redirect_uris_schema', description });
    }
    throw metadataError('metadata_schema', description);
  }
  const { token_endpoint_auth_method: method, ...rest } = parsed.data;

  const supportedMethods = policy.supportedAuthMethods ?? ALL_AUTH_METHODS;
  if (!(supportedMethods as readonly string[]).includes(method)) {
    throw metadataError(
      'auth_method_unsupported',
      `token_endpoint_auth_method ${method} is not supported; use one of ${supportedMethods.join(', ')}`,
    );
  }
  const grantTypes = [...new Set(rest.grant_types)];
  const responseTypes = [...new Set(rest.response_types)];
  const redirectUris = [...new Set(rest.redirect_uris)];

  // DCR-MD-3 / DCR-EP-6: a grant the server cannot perform is refused rather than silently
  // dropped, so the client learns at registration, not at its first token request.
  const supportedGrants = policy.supportedGrantTypes ?? DEFAULT_REGISTRATION_GRANT_TYPES;
  for (const grant of grantTypes) {
    if (!supportedGrants.includes(grant)) {
      throw metadataError('grant_type_unsupported', `grant type ${grant.slice(0, 64)} is not supported`);
    }
  }
  for (const type of responseTypes) {
    if (type !== 'code') {
      throw metadataError('response_type_unsupported', `response type ${type.slice(0, 64)} is not supported`);
    }
  }
  // DCR-MD-5 SHOULD: authorization_code needs code and code needs authorization_code (RFC 7591 §2.1).
  if (grantTypes.includes('authorization_code') !== responseTypes.includes('code')) {
    throw metadataError(
      'grant_response_mismatch',
      'authorization_code in grant_types requires code in response_types, and the other way round',
    );
  }
  // With only authorization_code and refresh_token supported, a refresh token can only come from a
  // code: a registration without authorization_code could never obtain a token.
  if (!grantTypes.includes('authorization_code')) {
    throw metadataError('no_usable_grant', 'grant_types must include authorization_code');
  }

  // DCR-MD-1, DCR-SEC-1 MUST: redirect-based grants need registered redirect URIs.
  if (redirectUris.length === 0) {
    throw new OAuthError('invalid_redirect_uri', {
      reason: 'redirect_uris_missing',
      description: 'a client using the authorization code grant must register redirect_uris',
    });
  }
  // DCR-SEC-1, MCP-12: https, http on loopback, or a private-use reverse-domain scheme.
  for (const uri of redirectUris) checkRedirectUriSyntax(uri);
  checkApplicationType(rest.application_type, redirectUris, findings);

  // DCR-MD-8 MUST NOT: jwks and jwks_uri never both.
  if (rest.jwks !== undefined && rest.jwks_uri !== undefined) {
    throw metadataError('jwks_and_jwks_uri', 'jwks and jwks_uri must not both be present');
  }
  const alg = rest.token_endpoint_auth_signing_alg;
  if (alg !== undefined && !(policy.supportedSigningAlgs ?? []).includes(alg)) {
    throw metadataError('signing_alg_unsupported', `token_endpoint_auth_signing_alg ${alg} is not supported`);
  }
  const metadata: RegistrationMetadata = {
    ...rest,
    token_endpoint_auth_method: method as TokenEndpointAuthMethod,
    grant_types: grantTypes,
    response_types: responseTypes,
    redirect_uris: redirectUris,
  };
  return { metadata, findings };
}

/**
 * MCP-7 (SEP-837): MCP clients send `application_type`, from OpenID Connect Dynamic Client
 * Registration §2 (default `web`). Both values are accepted with any allowed redirect (loopback
 * redirects match alike whatever the type, docs/dcr.md); the OpenID mismatches are warnings only,
 * because real native MCP clients do register https redirects and web clients loopback ones.
 */
function checkApplicationType(
  type: 'web' | 'native' | undefined,
  redirectUris: readonly string[],
  findings: Finding[],
): void {
  if (type === 'native') {
    if (redirectUris.some((uri) => uri.startsWith('https://'))) {
      findings.push(
        warning('MCP-7', 'native_https_redirect', 'a native client registered an https redirect_uri'),
      );
    }
    return;
  }
  if (redirectUris.some((uri) => !uri.startsWith('https://') && !isLoopbackRedirectUri(uri))) {
    findings.push(
      warning('MCP-7', 'web_private_scheme', 'a web client registered a private-use scheme redirect_uri'),
    );
  }
}

/** The URL members of RFC 7591 §2 this server accepts; each is echoed back and shown or fetched. */
const URI_MEMBERS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'jwks_uri'] as const;

/**
 * RFC 7591 §2 members that are URLs (issue #18 finding 6: `javascript:`, `file:`, loopback and
 * private addresses were accepted and echoed). The links are shown on the consent page and the logo
 * is fetched (DCR-SEC-2/3: protect users from them), jwks_uri is fetched by the hardened fetcher:
 * each must be https (loopback http only under the development switch, never for jwks_uri, which
 * the fetcher speaks https only for), written `https://host/...`, without user information or
 * control characters, and never on a special-purpose IP literal (the fetcher would refuse it at
 * fetch time anyway; refusing at registration keeps the address out of the echoed metadata).
 */
function checkUriMember(field: (typeof URI_MEMBERS)[number], uri: string, policy: RegistrationPolicy): void {
  if (CONTROL_CHARACTER.test(uri)) {
    throw metadataError('uri_control_character', `${field} must not contain control characters`);
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  const devLoopback =
    policy.allowLoopbackHttpUris === true && field !== 'jwks_uri' && isLoopbackRedirectUri(uri);
  if (scheme !== 'https' && !devLoopback) {
    if (field === 'jwks_uri') throw metadataError('jwks_uri_not_https', 'jwks_uri must be an https URL');
    throw metadataError('uri_not_https', `${field} must be an https URL`);
  }
  const authority = rawAuthority(uri, scheme ?? '');
  if (authority === undefined || authority === '' || !URL.canParse(uri)) {
    throw metadataError('uri_no_authority', `${field} must be an absolute URL written https://host/...`);
  }
  const parsed = new URL(uri);
  if (parsed.username !== '' || parsed.password !== '') {
    throw metadataError('uri_userinfo', `${field} must not contain user information`);
  }
  // The parsed hostname: the URL parser has already turned `https://2130706433/` and
  // `https://0x7f.1/` into 127.0.0.1, so no spelling of an address slips past the check.
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (!devLoopback && isIP(host) && policy.isRefusedAddress?.(host) === true) {
    throw metadataError('uri_special_purpose_address', `${field} must not name a special-purpose address`);
  }
}

/** Whether a URL hostname (brackets removed) is an IPv4 or IPv6 literal; no node:net in core. */
function isIP(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

function metadataError(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', { reason, description });
}
