/** CIMD §4 document validation (CIMD-DOC-*), with the documents real clients publish. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  type ClientMetadata,
  type ClientMetadataDocumentPolicy,
  isOAuthError,
  lintClientMetadataDocument,
  validateClientMetadataDocument,
} from '../src/index.ts';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/cimd/${name}.json`, import.meta.url), 'utf8'));
}

interface VendorCase {
  file: string;
  auth: 'none' | 'private_key_jwt';
  grants: string[];
  warnings: string[];
}

// What Gatehouse makes of each real document with the default policy.
const vendors: VendorCase[] = [
  {
    file: 'claude-ai',
    auth: 'none',
    grants: ['authorization_code', 'refresh_token'],
    warnings: ['cimd_grant_types_dropped'], // jwt-bearer (CIMD-DOC-11)
  },
  {
    file: 'claude-code',
    auth: 'none',
    grants: ['authorization_code', 'refresh_token'],
    warnings: ['cimd_redirect_all_loopback'],
  },
  {
    file: 'vscode',
    auth: 'none',
    grants: ['authorization_code', 'refresh_token'],
    warnings: ['cimd_grant_types_dropped'], // device_code
  },
  { file: 'chatgpt', auth: 'private_key_jwt', grants: ['authorization_code', 'refresh_token'], warnings: [] },
  {
    file: 'chatgpt-connector',
    auth: 'private_key_jwt',
    grants: ['authorization_code', 'refresh_token'],
    warnings: [],
  },
  {
    file: 'opencode',
    auth: 'none',
    grants: ['authorization_code', 'refresh_token'],
    warnings: ['cimd_redirect_all_loopback'],
  },
  {
    file: 'atproto-confidential',
    auth: 'private_key_jwt',
    grants: ['authorization_code', 'refresh_token'],
    warnings: [],
  },
  {
    file: 'mcp-spec-example',
    auth: 'none',
    grants: ['authorization_code'],
    warnings: ['cimd_redirect_all_loopback'],
  },
];

describe('real client documents', () => {
  for (const vendor of vendors) {
    it(`accepts ${vendor.file}`, () => {
      const document = fixture(vendor.file);
      const { metadata, findings } = validateClientMetadataDocument(document, String(document.client_id));
      assert.equal(metadata.client_id, document.client_id);
      assert.equal(metadata.token_endpoint_auth_method, vendor.auth);
      assert.deepEqual(metadata.grant_types, vendor.grants);
      assert.deepEqual(metadata.response_types, ['code']);
      assert.deepEqual(metadata.redirect_uris, document.redirect_uris);
      assert.deepEqual(
        findings.map((finding) => finding.reason),
        vendor.warnings,
      );
      // Usable wherever the server expects ClientMetadata.
      const asClient: ClientMetadata = metadata;
      assert.equal(asClient.client_name, document.client_name);
    });
  }

  it('keeps application_type, jwks_uri, signing alg and dpop_bound_access_tokens; drops unknown members', () => {
    const { metadata } = validateClientMetadataDocument(
      fixture('atproto-confidential'),
      'https://githubsky.tomo-x.win/api/client-metadata.json',
    );
    assert.equal(metadata.application_type, 'web');
    assert.equal(metadata.jwks_uri, 'https://githubsky.tomo-x.win/api/jwks.json');
    assert.equal(metadata.token_endpoint_auth_signing_alg, 'ES256');
    assert.equal(metadata.dpop_bound_access_tokens, true);
    assert.equal('subject_type' in metadata, false); // CIMD-DOC-2: ignored
    const vscode = validateClientMetadataDocument(
      fixture('vscode'),
      'https://vscode.dev/oauth/client-metadata.json',
    );
    assert.equal(vscode.metadata.application_type, 'native');
  });

  it('refuses the atproto document without client_name (MCP requires it, CIMD-DOC-8)', () => {
    const document = fixture('atproto-public-no-name');
    assertRefused(
      () => validateClientMetadataDocument(document, String(document.client_id)),
      'cimd_client_name_missing',
    );
  });

  it('refuses a vendor document served at another URL (CIMD-DOC-1)', () => {
    assertRefused(
      () => validateClientMetadataDocument(fixture('chatgpt'), 'https://chatgpt.com:443/oauth/client.json'),
      'cimd_client_id_mismatch',
    );
  });
});

const URL_ = 'https://app.example.com/oauth/client.json';
const base = {
  client_id: URL_,
  client_name: 'Example',
  redirect_uris: ['https://app.example.com/callback'],
  token_endpoint_auth_method: 'none',
};
const JWK_PUBLIC = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};

const invalid: Array<[string, unknown, string, ClientMetadataDocumentPolicy?]> = [
  ['an array (CIMD-DOC-8)', [base], 'cimd_document_not_object'],
  ['null', null, 'cimd_document_not_object'],
  ['a string', 'client', 'cimd_document_not_object'],
  ['client_id missing (CIMD-DOC-1)', { ...base, client_id: undefined }, 'cimd_client_id_missing'],
  ['client_id with a trailing slash', { ...base, client_id: `${URL_}/` }, 'cimd_client_id_mismatch'],
  [
    'client_id with the default port',
    { ...base, client_id: 'https://app.example.com:443/oauth/client.json' },
    'cimd_client_id_mismatch',
  ],
  ['client_id in another case', { ...base, client_id: URL_.toUpperCase() }, 'cimd_client_id_mismatch'],
  ['client_name missing (CIMD-DOC-8)', { ...base, client_name: undefined }, 'cimd_client_name_missing'],
  ['client_name blank', { ...base, client_name: '  ' }, 'cimd_client_name_missing'],
  ['redirect_uris missing', { ...base, redirect_uris: undefined }, 'cimd_redirect_uris_missing'],
  ['redirect_uris empty', { ...base, redirect_uris: [] }, 'cimd_redirect_uris_missing'],
  [
    'redirect_uris not an array',
    { ...base, redirect_uris: 'https://app.example.com/cb' },
    'cimd_redirect_uris_missing',
  ],
  ['client_secret (CIMD-DOC-4)', { ...base, client_secret: 's3cret' }, 'cimd_client_secret'],
  ['client_secret_expires_at', { ...base, client_secret_expires_at: 0 }, 'cimd_client_secret'],
  [
    'client_secret_basic (CIMD-DOC-3)',
    { ...base, token_endpoint_auth_method: 'client_secret_basic' },
    'cimd_shared_secret_auth_method',
  ],
  [
    'client_secret_post',
    { ...base, token_endpoint_auth_method: 'client_secret_post' },
    'cimd_shared_secret_auth_method',
  ],
  [
    'client_secret_jwt',
    { ...base, token_endpoint_auth_method: 'client_secret_jwt' },
    'cimd_shared_secret_auth_method',
  ],
  [
    'tls_client_auth (not offered)',
    { ...base, token_endpoint_auth_method: 'tls_client_auth' },
    'cimd_auth_method_unsupported',
  ],
  [
    'private key d (CIMD-DOC-5)',
    { ...base, jwks: { keys: [{ ...JWK_PUBLIC, d: 'secret' }] } },
    'cimd_private_key_material',
  ],
  [
    'RSA private members',
    { ...base, jwks: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB', p: 'a', q: 'b' }] } },
    'cimd_private_key_material',
  ],
  [
    'symmetric key k',
    { ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
    'cimd_private_key_material',
  ],
  [
    'jwks and jwks_uri (CIMD-DOC-9)',
    { ...base, jwks: { keys: [JWK_PUBLIC] }, jwks_uri: 'https://app.example.com/jwks.json' },
    'cimd_jwks_and_jwks_uri',
  ],
  [
    'http jwks_uri (CIMD-FETCH-9)',
    { ...base, jwks_uri: 'http://app.example.com/jwks.json' },
    'cimd_uri_scheme',
  ],
  ['javascript: logo_uri', { ...base, logo_uri: 'javascript:alert(1)' }, 'cimd_uri_scheme'],
  ['data: logo_uri', { ...base, logo_uri: 'data:image/png;base64,AAAA' }, 'cimd_uri_scheme'],
  ['file: policy_uri', { ...base, policy_uri: 'file:///etc/passwd' }, 'cimd_uri_scheme'],
  ['http client_uri', { ...base, client_uri: 'http://app.example.com' }, 'cimd_uri_scheme'],
  ['http tos_uri', { ...base, tos_uri: 'http://app.example.com/tos' }, 'cimd_uri_scheme'],
  [
    'userinfo in logo_uri',
    { ...base, logo_uri: 'https://u:p@app.example.com/logo.png' },
    'cimd_uri_userinfo',
  ],
  [
    'javascript: redirect_uri (CIMD-REDIR-1)',
    { ...base, redirect_uris: ['javascript:alert(1)'] },
    'cimd_redirect_uri_scheme',
  ],
  [
    'http non-loopback redirect_uri',
    { ...base, redirect_uris: ['http://app.example.com/cb'] },
    'cimd_redirect_uri_http_not_loopback',
  ],
  [
    'redirect_uri with fragment',
    { ...base, redirect_uris: ['https://app.example.com/cb#x'] },
    'cimd_redirect_uri_fragment',
  ],
  ['relative redirect_uri', { ...base, redirect_uris: ['/callback'] }, 'cimd_redirect_uri_not_absolute'],
  [
    'redirect_uri with user information',
    { ...base, redirect_uris: ['https://user@app.example.com/cb'] },
    'cimd_redirect_uri_userinfo',
  ],
  [
    'redirect_uri that does not parse',
    { ...base, redirect_uris: ['https://app example.com/cb'] },
    'cimd_redirect_uri_malformed',
  ],
  [
    // The metadata schema caps a redirect URI at the same 2048 and reports first (see below).
    'redirect_uri over 2048 characters',
    { ...base, redirect_uris: [`https://app.example.com/${'a'.repeat(2048)}`] },
    'cimd_metadata_invalid',
  ],
  [
    'only unsupported grant types (CIMD-DOC-11)',
    { ...base, grant_types: ['client_credentials', 'implicit'] },
    'cimd_grant_types_unsupported',
  ],
  ['empty grant_types', { ...base, grant_types: [] }, 'cimd_grant_types_unsupported'],
  ['only response type token', { ...base, response_types: ['token'] }, 'cimd_response_types_unsupported'],
  [
    'empty response_types with the code grant',
    { ...base, response_types: [] },
    'cimd_response_types_unsupported',
  ],
  [
    'private_key_jwt without keys (CIMD-AUTH-1)',
    { ...base, token_endpoint_auth_method: 'private_key_jwt' },
    'cimd_private_key_jwt_without_keys',
  ],
  [
    'private_key_jwt with HS256',
    {
      ...base,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://app.example.com/jwks.json',
      token_endpoint_auth_signing_alg: 'HS256',
    },
    'cimd_auth_signing_alg',
  ],
  [
    'missing auth method under reject policy (CIMD-DOC-10)',
    { ...base, token_endpoint_auth_method: undefined },
    'cimd_auth_method_missing',
    { missingAuthMethod: 'reject' },
  ],
  [
    'no usable negotiated method',
    {
      ...base,
      token_endpoint_auth_method: undefined,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'tls_client_auth'],
    },
    'cimd_auth_method_unsupported',
  ],
  [
    'grant_types not an array (types)',
    { ...base, grant_types: 'authorization_code' },
    'cimd_metadata_invalid',
  ],
  ['application_type unknown (types)', { ...base, application_type: 'desktop' }, 'cimd_metadata_invalid'],
  [
    'dpop_bound_access_tokens as string (types)',
    { ...base, dpop_bound_access_tokens: 'true' },
    'cimd_metadata_invalid',
  ],
  ['client_id URL itself invalid', { ...base, client_id: 'https://app.example.com' }, 'cimd_url_path'],
  [
    'other-origin redirect under requireSameOriginRedirects (CIMD-REDIR-4)',
    { ...base, redirect_uris: ['https://evil.example/cb'] },
    'cimd_redirect_other_origin',
    { requireSameOriginRedirects: true },
  ],
  [
    'other-port redirect under requireSameOriginRedirects',
    { ...base, redirect_uris: ['https://app.example.com:8443/cb'] },
    'cimd_redirect_other_origin',
    { requireSameOriginRedirects: true },
  ],
  [
    'foreign private-use scheme under requireSameOriginRedirects',
    { ...base, redirect_uris: ['com.evil.app:/cb'] },
    'cimd_redirect_other_origin',
    { requireSameOriginRedirects: true },
  ],
];

function assertRefused(run: () => unknown, reason: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isOAuthError(error), `not an OAuthError: ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.equal(error.error, 'invalid_client');
    assert.equal(error.status, 400);
    assert.equal(error.redirectable, false);
    return true;
  });
}

describe('validateClientMetadataDocument refuses', () => {
  for (const [name, document, reason, policy] of invalid) {
    it(name, () => {
      const clientIdUrl =
        typeof document === 'object' &&
        document !== null &&
        'client_id' in document &&
        typeof document.client_id === 'string' &&
        reason.startsWith('cimd_url')
          ? document.client_id
          : URL_;
      assertRefused(() => validateClientMetadataDocument(document, clientIdUrl, policy), reason);
    });
  }
});

describe('an overlong redirect_uri', () => {
  it('is refused by the schema cap, and lint names the redirect-URI rule too (CIMD-REDIR-1)', () => {
    const document = { ...base, redirect_uris: [`https://app.example.com/${'a'.repeat(2048)}`] };
    const { findings } = lintClientMetadataDocument(document, URL_);
    const errors = findings.filter((finding) => finding.level === 'error');
    assert.deepEqual(
      errors.map((finding) => finding.reason),
      ['cimd_metadata_invalid', 'cimd_redirect_uri_too_long'],
    );
  });
});

describe('interop policies', () => {
  const cases: Array<{
    name: string;
    document: Record<string, unknown>;
    policy?: ClientMetadataDocumentPolicy;
    auth?: string;
    grants?: string[];
    warnings: string[];
  }> = [
    {
      name: 'missing token_endpoint_auth_method means none by default (CIMD-DOC-10)',
      document: { ...base, token_endpoint_auth_method: undefined },
      auth: 'none',
      warnings: ['cimd_auth_method_defaulted'],
    },
    {
      name: 'RP Metadata Choices: first supported in the document order',
      document: {
        ...base,
        token_endpoint_auth_method: undefined,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
      },
      auth: 'none',
      warnings: ['cimd_auth_method_negotiated'],
    },
    {
      name: 'RP Metadata Choices: private_key_jwt preferred when keys are published',
      document: {
        ...base,
        token_endpoint_auth_method: undefined,
        token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
        jwks_uri: 'https://app.example.com/jwks.json',
      },
      auth: 'private_key_jwt',
      warnings: ['cimd_auth_method_negotiated'],
    },
    {
      name: 'RP Metadata Choices: private_key_jwt skipped without keys',
      document: {
        ...base,
        token_endpoint_auth_method: undefined,
        token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
      },
      auth: 'none',
      warnings: ['cimd_auth_method_negotiated'],
    },
    {
      name: 'RP Metadata Choices: only what the server offers',
      document: {
        ...base,
        token_endpoint_auth_method: undefined,
        token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
        jwks: { keys: [JWK_PUBLIC] },
      },
      policy: { supportedAuthMethods: ['none'] },
      auth: 'none',
      warnings: ['cimd_auth_method_negotiated'],
    },
    {
      name: 'explicit method wins over the choices list',
      document: {
        ...base,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        jwks_uri: 'https://app.example.com/jwks.json',
      },
      auth: 'none',
      warnings: [],
    },
    {
      name: 'grant_types default to authorization_code (RFC 7591)',
      document: { ...base },
      grants: ['authorization_code'],
      warnings: [],
    },
    {
      name: 'grant_types intersect with a server that also supports device_code',
      document: fixture('vscode'),
      policy: {
        supportedGrantTypes: [
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:device_code',
        ],
      },
      grants: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      warnings: [],
    },
    {
      // Decision 0042: a machine client (client_credentials only) lists no response type.
      name: 'client_credentials alone, with response_types [], where the server supports it (RFC 7591 §2)',
      document: {
        ...base,
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [JWK_PUBLIC] },
      },
      policy: { supportedGrantTypes: ['authorization_code', 'client_credentials'] },
      grants: ['client_credentials'],
      warnings: [],
    },
    {
      name: 'redirect on another host is a warning by default (CIMD-REDIR-4)',
      document: { ...base, redirect_uris: ['https://other.example/cb'] },
      warnings: ['cimd_redirect_other_host'],
    },
    {
      name: 'private-use scheme of the reversed host is fine',
      document: { ...base, redirect_uris: ['com.example.app:/callback'] },
      policy: { requireSameOriginRedirects: true },
      warnings: [],
    },
    {
      name: 'loopback is exempt from requireSameOriginRedirects, but warned about',
      document: { ...base, redirect_uris: ['http://127.0.0.1/callback'] },
      policy: { requireSameOriginRedirects: true },
      warnings: ['cimd_redirect_all_loopback'],
    },
    {
      name: 'client_uri on another host is a warning',
      document: { ...base, client_uri: 'https://marketing.example/' },
      warnings: ['cimd_client_uri_other_host'],
    },
    {
      name: 'root path client_id is a warning (CIMD-URL-3)',
      document: { ...base, client_id: 'https://app.example.com/' },
      warnings: ['cimd_url_root_path'],
    },
    {
      name: 'query client_id accepted under allowQuery',
      document: { ...base, client_id: 'https://app.example.com/c?v=1' },
      policy: { allowQuery: true },
      warnings: ['cimd_url_query'],
    },
    {
      name: 'unknown members are ignored (CIMD-DOC-2)',
      document: {
        ...base,
        software_statement: 'eyJ...',
        frobnicate: { deep: true },
        post_logout_redirect_uris: [],
      },
      warnings: [],
    },
  ];
  for (const { name, document, policy, auth, grants, warnings } of cases) {
    it(name, () => {
      const { metadata, findings } = validateClientMetadataDocument(
        document,
        String(document.client_id),
        policy,
      );
      if (auth !== undefined) assert.equal(metadata.token_endpoint_auth_method, auth);
      if (grants !== undefined) assert.deepEqual(metadata.grant_types, grants);
      assert.deepEqual(
        findings.map((finding) => finding.reason),
        warnings,
      );
      assert.ok(findings.every((finding) => finding.level === 'warning'));
    });
  }
});

describe('lintClientMetadataDocument', () => {
  it('returns every finding without throwing', () => {
    const { metadata, findings } = lintClientMetadataDocument(
      {
        client_id: 'https://app.example.com/c',
        client_secret: 'x',
        token_endpoint_auth_method: 'client_secret_post',
        redirect_uris: ['http://app.example.com/cb'],
        logo_uri: 'data:image/png;base64,AA',
      },
      'https://app.example.com/c',
    );
    assert.equal(metadata, undefined);
    assert.deepEqual(
      findings.filter((finding) => finding.level === 'error').map((finding) => finding.id),
      ['CIMD-DOC-4', 'CIMD-FETCH-9', 'CIMD-DOC-8', 'CIMD-REDIR-1', 'CIMD-DOC-3'],
    );
  });

  it('uses the document client_id as the URL when none is given, and checks it', () => {
    const { findings } = lintClientMetadataDocument(
      { ...base, client_id: 'https://app.example.com/a/../c' },
      undefined,
    );
    assert.deepEqual(
      findings.map((finding) => finding.reason),
      ['cimd_url_dot_segment'],
    );
    const missing = lintClientMetadataDocument({ ...base, client_id: undefined }, undefined);
    assert.deepEqual(
      missing.findings.map((finding) => finding.reason),
      ['cimd_client_id_missing'],
    );
  });

  it('returns the normalised metadata when there is no error', () => {
    const { metadata, findings } = lintClientMetadataDocument(fixture('vscode'), undefined);
    assert.equal(metadata?.token_endpoint_auth_method, 'none');
    assert.deepEqual(
      findings.map((finding) => finding.id),
      ['CIMD-DOC-11'],
    );
  });
});
