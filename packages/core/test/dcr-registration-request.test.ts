/** RFC 7591 registration request rules (DCR-EP-1/5, DCR-MD-2…8, DCR-SEC-1, MCP-7, MCP-12). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOAuthError, validateRegistrationRequest } from '../src/index.ts';

const base = { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' };
const algs = { supportedSigningAlgs: ['ES256'] };

const refused: Array<[string, unknown, string, string]> = [
  ['array body (DCR-EP-1)', [], 'invalid_client_metadata', 'body_not_object'],
  ['null body', null, 'invalid_client_metadata', 'body_not_object'],
  ['string body', 'x', 'invalid_client_metadata', 'body_not_object'],
  [
    'no redirect_uris (DCR-SEC-1)',
    { token_endpoint_auth_method: 'none' },
    'invalid_redirect_uri',
    'redirect_uris_missing',
  ],
  [
    'redirect_uris not an array',
    { redirect_uris: 'https://a/cb' },
    'invalid_redirect_uri',
    'redirect_uris_schema',
  ],
  [
    'http non-loopback redirect (MCP-12)',
    { redirect_uris: ['http://app.example/cb'] },
    'invalid_redirect_uri',
    'redirect_uri_http_not_loopback',
  ],
  [
    'javascript: redirect',
    { redirect_uris: ['javascript:alert(1)'] },
    'invalid_redirect_uri',
    'redirect_uri_scheme',
  ],
  ['single-word scheme', { redirect_uris: ['myapp:/cb'] }, 'invalid_redirect_uri', 'redirect_uri_scheme'],
  [
    'fragment',
    { redirect_uris: ['https://a.example/cb#x'] },
    'invalid_redirect_uri',
    'redirect_uri_fragment',
  ],
  [
    'unsupported auth method',
    { ...base, token_endpoint_auth_method: 'client_secret_jwt' },
    'invalid_client_metadata',
    'auth_method_unsupported',
  ],
  [
    'unsupported grant',
    { ...base, grant_types: ['authorization_code', 'client_credentials'] },
    'invalid_client_metadata',
    'grant_type_unsupported',
  ],
  [
    'implicit token response',
    { ...base, response_types: ['code', 'token'] },
    'invalid_client_metadata',
    'response_type_unsupported',
  ],
  [
    'code without authorization_code (DCR-MD-5)',
    { ...base, grant_types: ['refresh_token'] },
    'invalid_client_metadata',
    'grant_response_mismatch',
  ],
  [
    'authorization_code without code (DCR-MD-5)',
    { ...base, response_types: [] },
    'invalid_client_metadata',
    'grant_response_mismatch',
  ],
  [
    'no usable grant',
    { ...base, grant_types: ['refresh_token'], response_types: [] },
    'invalid_client_metadata',
    'no_usable_grant',
  ],
  [
    'jwks and jwks_uri (DCR-MD-8)',
    { ...base, jwks: { keys: [] }, jwks_uri: 'https://a.example/jwks' },
    'invalid_client_metadata',
    'jwks_and_jwks_uri',
  ],
  [
    'http jwks_uri',
    { ...base, jwks_uri: 'http://a.example/jwks' },
    'invalid_client_metadata',
    'jwks_uri_not_https',
  ],
  ['bad client_name type', { ...base, client_name: 42 }, 'invalid_client_metadata', 'metadata_schema'],
  [
    'bad application_type',
    { ...base, application_type: 'desktop' },
    'invalid_client_metadata',
    'metadata_schema',
  ],
  [
    'unsupported signing alg',
    { ...base, token_endpoint_auth_signing_alg: 'HS256' },
    'invalid_client_metadata',
    'signing_alg_unsupported',
  ],
];

describe('validateRegistrationRequest refuses with the RFC 7591 §3.2.2 codes', () => {
  for (const [name, body, code, reason] of refused) {
    it(name, () => {
      assert.throws(
        () => validateRegistrationRequest(body, algs),
        (error: unknown) =>
          isOAuthError(error) && error.error === code && error.reason === reason && error.status === 400,
      );
    });
  }
});

const accepted: Array<[string, Record<string, unknown>]> = [
  ['https redirect', { redirect_uris: ['https://app.example/cb'] }],
  ['loopback IPv4 (MCP-12)', { redirect_uris: ['http://127.0.0.1/cb'] }],
  ['loopback IPv6', { redirect_uris: ['http://[::1]:8080/cb'] }],
  ['localhost', { redirect_uris: ['http://localhost:33418/callback'] }],
  [
    'private-use scheme, native (MCP-7)',
    { redirect_uris: ['com.example.app:/cb'], application_type: 'native' },
  ],
  ['native loopback (MCP-7)', { redirect_uris: ['http://127.0.0.1/cb'], application_type: 'native' }],
  ['web https', { redirect_uris: ['https://app.example/cb'], application_type: 'web' }],
  [
    'private_key_jwt with jwks_uri',
    {
      ...base,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://a.example/jwks',
      token_endpoint_auth_signing_alg: 'ES256',
    },
  ],
  ['refresh_token too', { ...base, grant_types: ['authorization_code', 'refresh_token'] }],
];

describe('validateRegistrationRequest accepts', () => {
  for (const [name, body] of accepted) {
    it(name, () => {
      assert.ok(validateRegistrationRequest(body, algs).metadata.redirect_uris.length > 0);
    });
  }

  it('fills in the RFC 7591 defaults (DCR-MD-2..4)', () => {
    const { metadata } = validateRegistrationRequest({ redirect_uris: ['https://app.example/cb'] });
    assert.equal(metadata.token_endpoint_auth_method, 'client_secret_basic');
    assert.deepEqual(metadata.grant_types, ['authorization_code']);
    assert.deepEqual(metadata.response_types, ['code']);
  });

  it('drops unknown members (DCR-EP-5) and ignores provisioned ones with a warning', () => {
    const { metadata, findings } = validateRegistrationRequest({
      ...base,
      frobnicate: true,
      client_id: 'https://evil.example/',
      client_secret: 'chosen',
      registration_access_token: 'x',
    });
    assert.equal('frobnicate' in metadata, false);
    assert.equal('client_id' in metadata, false);
    assert.equal('client_secret' in metadata, false);
    assert.equal(findings.filter((f) => f.reason === 'provisioned_member_ignored').length, 3);
  });

  it('removes duplicate redirect URIs and grant types', () => {
    const { metadata } = validateRegistrationRequest({
      ...base,
      redirect_uris: ['https://a.example/cb', 'https://a.example/cb'],
      grant_types: ['authorization_code', 'authorization_code'],
    });
    assert.deepEqual(metadata.redirect_uris, ['https://a.example/cb']);
    assert.deepEqual(metadata.grant_types, ['authorization_code']);
  });
});

describe('URI members (RFC 7591 §2, DCR-SEC-2/3, issue #18 finding 6)', () => {
  // What the server passes: safe-fetch's IANA tables. A stand-in here, so the rule is tested on its
  // own; the server test uses the real tables.
  const special = new Set(['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', 'fe80::1']);
  const policy = { isRefusedAddress: (address: string) => special.has(address) };
  const refusedUris: Array<[string, string, string]> = [
    ['logo_uri', 'javascript:alert(1)', 'uri_not_https'],
    ['client_uri', 'file:///etc/passwd', 'uri_not_https'],
    ['tos_uri', 'http://a.example/tos', 'uri_not_https'],
    ['policy_uri', 'data:text/html,<b>x</b>', 'uri_not_https'],
    ['logo_uri', 'http://127.0.0.1/logo.png', 'uri_not_https'],
    ['jwks_uri', 'file:///etc/passwd', 'jwks_uri_not_https'],
    ['logo_uri', 'https:a.example/logo.png', 'uri_no_authority'],
    ['client_uri', 'https:/a.example/', 'uri_no_authority'],
    ['client_uri', 'https://user:pw@a.example/', 'uri_userinfo'],
    ['logo_uri', 'https://a.example/lo\ngo.png', 'uri_control_character'],
    ['logo_uri', 'https://127.0.0.1/logo.png', 'uri_special_purpose_address'],
    ['jwks_uri', 'https://169.254.169.254/jwks', 'uri_special_purpose_address'],
    ['tos_uri', 'https://[::1]/tos', 'uri_special_purpose_address'],
    // The URL parser's normalisation is what is checked: 0x7f.1 is 127.0.0.1.
    ['policy_uri', 'https://0x7f.1/policy', 'uri_special_purpose_address'],
    ['client_uri', 'https://10.0.0.1/', 'uri_special_purpose_address'],
  ];
  for (const [field, uri, reason] of refusedUris) {
    it(`refuses ${field} ${JSON.stringify(uri)} (${reason})`, () => {
      assert.throws(
        () => validateRegistrationRequest({ ...base, [field]: uri }, policy),
        (error: unknown) =>
          isOAuthError(error) && error.error === 'invalid_client_metadata' && error.reason === reason,
      );
    });
  }

  it('accepts https links on names and public addresses', () => {
    const { metadata } = validateRegistrationRequest(
      {
        ...base,
        logo_uri: 'https://a.example/logo.png',
        client_uri: 'https://93.184.215.14/',
        tos_uri: 'https://[2001:4860:4860::8888]/tos',
        jwks_uri: 'https://a.example/jwks',
      },
      policy,
    );
    assert.equal(metadata.logo_uri, 'https://a.example/logo.png');
  });

  it('accepts loopback http links only under the development switch, never for jwks_uri', () => {
    const dev = { ...policy, allowLoopbackHttpUris: true };
    for (const uri of ['http://localhost:3000/logo.png', 'http://127.0.0.1/logo.png', 'http://[::1]/x']) {
      assert.equal(validateRegistrationRequest({ ...base, logo_uri: uri }, dev).metadata.logo_uri, uri);
    }
    assert.throws(
      () => validateRegistrationRequest({ ...base, logo_uri: 'http://a.example/logo.png' }, dev),
      (error: unknown) => isOAuthError(error) && error.reason === 'uri_not_https',
    );
    assert.throws(
      () => validateRegistrationRequest({ ...base, jwks_uri: 'http://127.0.0.1/jwks' }, dev),
      (error: unknown) => isOAuthError(error) && error.reason === 'jwks_uri_not_https',
    );
  });
});
