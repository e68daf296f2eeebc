/**
 * Client ID Metadata Document validation, draft-ietf-oauth-client-id-metadata-document-02 §4 and
 * §4.1 (CIMD-DOC-1…11), §4.2 (CIMD-REDIR-*), §8.2 (CIMD-AUTH-1), §8.6 (CIMD-FETCH-9), plus the
 * MCP client-registration requirements (CIMD-DOC-8) and the interop policies of docs/cimd.md.
 *
 * Input is the parsed JSON body the fetcher returned; output is the normalised metadata the server
 * will use (auth method resolved, grant and response types narrowed to what the server supports).
 * Validation happens before anything is cached (CIMD-CACHE-4). Pure: no I/O, no clock.
 */
import { z } from 'zod';
import { type ClientMetadata, clientMetadataSchema } from '../client-metadata.ts';
import { clientIdUrlParts, lintClientIdUrl } from './client-id-url.ts';
import {
  type CimdAuthMethod,
  type ClientMetadataDocumentPolicy,
  DEFAULT_SUPPORTED_GRANT_TYPES,
  DEFAULT_SUPPORTED_RESPONSE_TYPES,
} from './client-metadata-document-policy.ts';
import { checkRedirectHosts, checkRedirectUris } from './document-redirect-uris.ts';
import { error, type Finding, type Report, throwFirstError, warning } from './finding.ts';
import { checkPrivateKeyJwtKeys, resolveAuthMethod } from './token-endpoint-auth-method.ts';

export {
  type CimdAuthMethod,
  type ClientMetadataDocumentPolicy,
  DEFAULT_SUPPORTED_AUTH_METHODS,
  DEFAULT_SUPPORTED_GRANT_TYPES,
  DEFAULT_SUPPORTED_RESPONSE_TYPES,
} from './client-metadata-document-policy.ts';

/**
 * The client metadata schema, extended with the members CIMD documents carry that the base schema
 * lacks. Fields whose defaults CIMD decides differently (auth method, grant and response types)
 * are read raw here and resolved by the rules below. Unknown members are dropped (CIMD-DOC-2).
 */
export const clientMetadataDocumentSchema = clientMetadataSchema.extend({
  client_name: z.string().min(1).max(256),
  token_endpoint_auth_method: z.string().min(1).max(64).optional(),
  grant_types: z.array(z.string().min(1).max(256)).max(16).optional(),
  response_types: z.array(z.string().min(1).max(64)).max(8).optional(),
  // OpenID Connect RP Metadata Choices 1.0: the methods the client can use, in its preference order.
  token_endpoint_auth_methods_supported: z.array(z.string().min(1).max(64)).max(16).optional(),
  token_endpoint_auth_signing_alg: z.string().min(1).max(32).optional(),
  // RFC 9449 §5.2 (atproto requires true).
  dpop_bound_access_tokens: z.boolean().optional(),
});

/**
 * What the server will use: a ClientMetadata (assignable to it) with the CIMD extras it keeps, the
 * auth method resolved and grant/response types narrowed to what the server supports.
 */
export type CimdClientMetadata = Omit<
  z.infer<typeof clientMetadataDocumentSchema>,
  'token_endpoint_auth_method' | 'grant_types' | 'response_types'
> & {
  token_endpoint_auth_method: CimdAuthMethod;
  grant_types: string[];
  response_types: string[];
};

// Compile-time proof that the normalised metadata is usable wherever ClientMetadata is.
const _assignable = (metadata: CimdClientMetadata): ClientMetadata => metadata;
void _assignable;

export interface ClientMetadataDocumentResult {
  metadata: CimdClientMetadata;
  /** Warnings only: validation throws on the first error. */
  findings: Finding[];
}

/**
 * Validates a fetched document for `clientIdUrl` (the URL that was fetched, which is also the
 * client_id presented). Throws OAuthError('invalid_client', 400, reason) for the first error.
 */
export function validateClientMetadataDocument(
  document: unknown,
  clientIdUrl: string,
  policy: ClientMetadataDocumentPolicy = {},
): ClientMetadataDocumentResult {
  const { metadata, findings } = evaluate(document, clientIdUrl, policy);
  throwFirstError(findings);
  // evaluate() only leaves metadata undefined when it also reported an error.
  if (metadata === undefined) throw new Error('unreachable: document without metadata and without error');
  return { metadata, findings };
}

/**
 * Every finding for a document, never throwing (for `gatehouse lint`). With `clientIdUrl`
 * undefined, the document's own `client_id` is taken as the URL (linting a local file).
 */
export function lintClientMetadataDocument(
  document: unknown,
  clientIdUrl: string | undefined,
  policy: ClientMetadataDocumentPolicy = {},
): { metadata: CimdClientMetadata | undefined; findings: Finding[] } {
  return evaluate(document, clientIdUrl, policy);
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;
const URI_FIELDS = ['jwks_uri', 'logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const;

function evaluate(
  document: unknown,
  givenUrl: string | undefined,
  policy: ClientMetadataDocumentPolicy,
): { metadata: CimdClientMetadata | undefined; findings: Finding[] } {
  const findings: Finding[] = [];
  // Fields already refused by a specific rule, so the schema pass does not report them twice.
  const refusedFields = new Set<string>();
  const fail = (id: string, reason: string, message: string, field?: string) => {
    findings.push(error(id, reason, message));
    if (field !== undefined) refusedFields.add(field);
  };
  const warn = (id: string, reason: string, message: string) => findings.push(warning(id, reason, message));

  // CIMD-DOC-8 MUST (MCP): a JSON object. Arrays, null and scalars are not metadata.
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    fail('CIMD-DOC-8', 'cimd_document_not_object', 'the client metadata document must be a JSON object');
    return { metadata: undefined, findings };
  }
  const doc = document as Record<string, unknown>;
  const has = (name: string) => Object.hasOwn(doc, name) && doc[name] !== undefined;

  // CIMD-DOC-1 MUST: client_id equals the client ID URL (and the fetched URL), by simple string
  // comparison, no normalisation (CIMD-URL-8).
  const documentClientId = doc.client_id;
  const clientIdUrl = givenUrl ?? (typeof documentClientId === 'string' ? documentClientId : undefined);
  if (clientIdUrl !== undefined) findings.push(...lintClientIdUrl(clientIdUrl, policy));
  if (typeof documentClientId !== 'string') {
    fail(
      'CIMD-DOC-1',
      'cimd_client_id_missing',
      'the document must contain client_id, a string',
      'client_id',
    );
  } else if (givenUrl !== undefined && documentClientId !== givenUrl) {
    fail(
      'CIMD-DOC-1',
      'cimd_client_id_mismatch',
      `the document's client_id "${documentClientId}" is not exactly the URL it was fetched from "${givenUrl}"`,
    );
  }

  // CIMD-DOC-4 MUST: no shared secret can exist for a client that never registered.
  for (const name of ['client_secret', 'client_secret_expires_at']) {
    if (has(name)) fail('CIMD-DOC-4', 'cimd_client_secret', `the document must not contain ${name}`);
  }

  // CIMD-DOC-5 MUST: only public keys. A JWK with private members (or a symmetric `k`) is refused;
  // the key is compromised by being published anyway.
  const jwks = doc.jwks;
  if (typeof jwks === 'object' && jwks !== null && Array.isArray((jwks as { keys?: unknown }).keys)) {
    for (const key of (jwks as { keys: unknown[] }).keys) {
      if (typeof key !== 'object' || key === null) continue;
      const present = PRIVATE_JWK_MEMBERS.filter((member) => Object.hasOwn(key, member));
      if (present.length > 0) {
        fail(
          'CIMD-DOC-5',
          'cimd_private_key_material',
          `jwks contains private or symmetric key material (${present.join(', ')}); publish public keys only`,
        );
        break;
      }
    }
  }

  // CIMD-DOC-9: jwks and jwks_uri are mutually exclusive (RFC 7591 §2; the draft is silent, #93).
  if (has('jwks') && has('jwks_uri')) {
    fail('CIMD-DOC-9', 'cimd_jwks_and_jwks_uri', 'the document must not contain both jwks and jwks_uri');
  }

  // CIMD-FETCH-9 SHOULD (enforced): URLs inside the document are https only. javascript:, data:,
  // http: and file: logos or key sets are refused, not fetched (and then SSRF-checked, CIMD-FETCH-6).
  for (const name of URI_FIELDS) {
    const value = doc[name];
    if (typeof value !== 'string') continue;
    if (!value.startsWith('https://') || !URL.canParse(value) || /[\s\\]/.test(value)) {
      fail('CIMD-FETCH-9', 'cimd_uri_scheme', `${name} must be an https URL`, name);
    } else if (new URL(value).username !== '' || new URL(value).password !== '') {
      fail('CIMD-FETCH-9', 'cimd_uri_userinfo', `${name} must not contain user information`, name);
    }
  }

  // CIMD-DOC-8 MUST (MCP): client_name and a non-empty redirect_uris are required.
  if (typeof doc.client_name !== 'string' || doc.client_name.trim() === '') {
    fail(
      'CIMD-DOC-8',
      'cimd_client_name_missing',
      'the document must contain client_name, a non-empty string',
      'client_name',
    );
  }
  if (!Array.isArray(doc.redirect_uris) || doc.redirect_uris.length === 0) {
    fail(
      'CIMD-DOC-8',
      'cimd_redirect_uris_missing',
      'the document must contain redirect_uris, a non-empty array',
      'redirect_uris',
    );
  }

  // Field types (RFC 7591 §2) through the one schema; fields already refused above are not
  // reported twice. Unknown members are dropped, never fatal (CIMD-DOC-2).
  const parsed = clientMetadataDocumentSchema.safeParse(doc);
  if (!parsed.success) {
    const reported = new Set<string>();
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '(document)');
      if (reported.has(field) || refusedFields.has(field)) continue;
      reported.add(field);
      fail('GH-DOC-TYPES', 'cimd_metadata_invalid', `${field}: ${issue.message}`);
    }
  }

  const redirectUris = checkRedirectUris(doc.redirect_uris, fail);

  const authMethod = resolveAuthMethod(doc, policy, fail, warn);
  const grantTypes = intersect(
    doc.grant_types,
    ['authorization_code'], // RFC 7591 §2 default
    policy.supportedGrantTypes ?? DEFAULT_SUPPORTED_GRANT_TYPES,
    'grant_types',
    'CIMD-DOC-11',
    fail,
    warn,
  );
  // RFC 7591 §2: a client without the code grant (client_credentials only) may list no response
  // type at all; that is not an unsupported one.
  const noResponseTypes =
    Array.isArray(doc.response_types) &&
    doc.response_types.length === 0 &&
    !grantTypes.includes('authorization_code');
  const responseTypes = noResponseTypes
    ? []
    : intersect(
        doc.response_types,
        ['code'], // RFC 7591 §2 default
        policy.supportedResponseTypes ?? DEFAULT_SUPPORTED_RESPONSE_TYPES,
        'response_types',
        'CIMD-DOC-11',
        fail,
        warn,
      );

  if (authMethod === 'private_key_jwt') checkPrivateKeyJwtKeys(doc, fail);

  const urlParts = clientIdUrl === undefined ? undefined : clientIdUrlParts(clientIdUrl, policy);
  checkRedirectHosts(redirectUris, clientIdUrl, urlParts?.host, policy, fail, warn);
  if (urlParts !== undefined) {
    const clientUri = doc.client_uri;
    if (typeof clientUri === 'string' && URL.canParse(clientUri)) {
      if (new URL(clientUri).hostname !== urlParts.host.toLowerCase()) {
        warn(
          'CIMD-UI-2',
          'cimd_client_uri_other_host',
          `client_uri host ${new URL(clientUri).hostname} differs from the client_id host ${urlParts.host}; it is self-asserted`,
        );
      }
    }
  }

  if (findings.some((finding) => finding.level === 'error') || !parsed.success || authMethod === undefined) {
    return { metadata: undefined, findings };
  }
  const data = parsed.data;
  const metadata: CimdClientMetadata = {
    ...data,
    token_endpoint_auth_method: authMethod,
    grant_types: grantTypes,
    response_types: responseTypes,
  };
  return { metadata, findings };
}

/** CIMD-DOC-11: keep the values the server supports, drop the rest with a warning, fail if none is left. */
function intersect(
  value: unknown,
  fallback: readonly string[],
  supported: readonly string[],
  field: string,
  id: string,
  fail: Report,
  warn: Report,
): string[] {
  const requested = Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : [...fallback];
  const kept = [...new Set(requested.filter((v) => supported.includes(v)))];
  const dropped = requested.filter((v) => !supported.includes(v));
  if (kept.length === 0) {
    if (Array.isArray(value)) {
      fail(
        id,
        `cimd_${field}_unsupported`,
        `none of ${field} [${requested.join(', ')}] is supported (${supported.join(', ')})`,
      );
    }
    return kept;
  }
  if (dropped.length > 0) {
    warn(
      id,
      `cimd_${field}_dropped`,
      `${field} not supported by this server and ignored: ${dropped.join(', ')}`,
    );
  }
  return kept;
}
