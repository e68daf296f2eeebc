/** CIMD §3 client ID URL rules (CIMD-URL-1…8), checked on the raw string. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClientIdUrlPolicy,
  checkClientIdUrl,
  clientIdUrlParts,
  isClientIdMetadataDocumentUrl,
  isOAuthError,
  lintClientIdUrl,
} from '../src/index.ts';

const valid: Array<[string, string, string[]?]> = [
  ['plain path', 'https://example.com/client.json'],
  ['nested path', 'https://app.example.com/oauth/client-metadata.json'],
  ['claude.ai', 'https://claude.ai/oauth/mcp-oauth-client-metadata'],
  ['vscode.dev', 'https://vscode.dev/oauth/client-metadata.json'],
  ['explicit port (CIMD-URL-7)', 'https://example.com:8443/c'],
  ['default port kept as written (CIMD-URL-8)', 'https://x.example:443/c'],
  ['root path is a warning (CIMD-URL-3)', 'https://example.com/', ['CIMD-URL-3']],
  ['uppercase host is a warning', 'https://Example.com/c', ['CIMD-URL-8']],
  ['dots inside a segment are fine', 'https://example.com/a..b/.well-known/c.json'],
  ['percent-encoded non-dot', 'https://example.com/a%20b'],
  ['single-label host', 'https://x/c'],
  ['punycode host', 'https://xn--bcher-kva.example/c'],
  ['.test host used by tests', 'https://client.test/metadata.json'],
];

const invalid: Array<[string, string, string, ClientIdUrlPolicy?]> = [
  ['empty', '', 'cimd_url_empty'],
  ['http (CIMD-URL-1)', 'http://example.com/c', 'cimd_url_scheme'],
  ['uppercase scheme (CIMD-URL-1)', 'HTTPS://x/y', 'cimd_url_scheme'],
  ['mixed-case scheme', 'Https://x/y', 'cimd_url_scheme'],
  ['not a URL', 'my-client', 'cimd_url_scheme'],
  ['urn', 'urn:example:client', 'cimd_url_scheme'],
  ['userinfo (CIMD-URL-2)', 'https://user@x/', 'cimd_url_userinfo'],
  ['user:pass (CIMD-URL-2)', 'https://user:pass@example.com/c', 'cimd_url_userinfo'],
  ['host disguised by userinfo', 'https://good.example@evil.example/c', 'cimd_url_userinfo'],
  ['no path (CIMD-URL-3)', 'https://x', 'cimd_url_path'],
  ['no path, with port', 'https://example.com:8443', 'cimd_url_path'],
  ['no path, query only', 'https://example.com?x=1', 'cimd_url_path'],
  ['dot-dot segment (CIMD-URL-4)', 'https://example.com/a/../b', 'cimd_url_dot_segment'],
  ['dot segment', 'https://example.com/./c', 'cimd_url_dot_segment'],
  ['trailing dot-dot', 'https://example.com/a/..', 'cimd_url_dot_segment'],
  ['encoded dot-dot', 'https://example.com/a/%2e%2e/b', 'cimd_url_dot_segment'],
  ['encoded mixed case', 'https://example.com/a/.%2E/b', 'cimd_url_dot_segment'],
  ['encoded single dot', 'https://example.com/%2e/c', 'cimd_url_dot_segment'],
  ['fragment (CIMD-URL-5)', 'https://x/#f', 'cimd_url_fragment'],
  ['empty fragment', 'https://example.com/c#', 'cimd_url_fragment'],
  ['query refused by default (CIMD-URL-6)', 'https://x/c?y=1', 'cimd_url_query'],
  ['empty query', 'https://x/c?', 'cimd_url_query'],
  ['tab', 'https://example.com/c\tx', 'cimd_url_characters'],
  ['newline (WHATWG strips it)', 'https://exam\nple.com/c', 'cimd_url_characters'],
  ['space', 'https://example.com/my client', 'cimd_url_characters'],
  ['leading space', ' https://example.com/c', 'cimd_url_characters'],
  ['NUL', 'https://example.com/c\u0000', 'cimd_url_characters'],
  ['backslash (WHATWG reads it as /)', 'https://example.com/a\\..\\b', 'cimd_url_characters'],
  ['non-ASCII host', 'https://bücher.example/c', 'cimd_url_characters'],
  ['bad percent-encoding', 'https://example.com/%zz', 'cimd_url_percent_encoding'],
  ['too long', `https://example.com/${'a'.repeat(2048)}`, 'cimd_url_too_long'],
  ['IPv4 literal', 'https://192.0.2.1/c', 'cimd_url_ip_literal'],
  ['loopback literal', 'https://127.0.0.1/c', 'cimd_url_ip_literal'],
  ['IPv6 literal', 'https://[2001:db8::1]/c', 'cimd_url_ip_literal'],
  ['IPv6 loopback', 'https://[::1]/c', 'cimd_url_ip_literal'],
  ['decimal IPv4 (WHATWG: 127.0.0.1)', 'https://2130706433/c', 'cimd_url_ip_literal'],
  ['hex IPv4', 'https://0x7f.1/c', 'cimd_url_ip_literal'],
  ['empty host', 'https:///c', 'cimd_url_host'],
  ['empty host with port', 'https://:443/c', 'cimd_url_host'],
  ['trailing dot host', 'https://example.com./c', 'cimd_url_host'],
  ['underscore host', 'https://my_host.example/c', 'cimd_url_host'],
  ['label starting with hyphen', 'https://-x.example/c', 'cimd_url_host'],
  ['empty label', 'https://a..example/c', 'cimd_url_host'],
  ['empty port', 'https://example.com:/c', 'cimd_url_port'],
  ['port zero', 'https://example.com:0/c', 'cimd_url_port'],
  ['port too large', 'https://example.com:65536/c', 'cimd_url_port'],
  ['non-numeric port', 'https://example.com:https/c', 'cimd_url_port'],
  // Passes the raw rules (IP literals allowed) but is no URL: the final parse refuses it.
  ['IPv6 literal that does not parse', 'https://[1:2:3]/c', 'cimd_url_malformed', { allowIpLiterals: true }],
];

describe('checkClientIdUrl', () => {
  for (const [name, url, warnings = []] of valid) {
    it(`accepts ${name}: ${url}`, () => {
      const result = checkClientIdUrl(url);
      assert.deepEqual(
        result.warnings.map((finding) => finding.id),
        warnings,
      );
      assert.ok(result.warnings.every((finding) => finding.level === 'warning'));
    });
  }

  for (const [name, url, reason, policy] of invalid) {
    it(`refuses ${name}: ${JSON.stringify(url).slice(0, 60)}`, () => {
      assert.throws(
        () => checkClientIdUrl(url, policy),
        (error: unknown) =>
          isOAuthError(error) &&
          error.error === 'invalid_client' &&
          error.status === 400 &&
          !error.redirectable &&
          error.reason === reason,
      );
    });
  }

  it('accepts a query only with allowQuery, and still warns (CIMD-URL-6)', () => {
    const { warnings } = checkClientIdUrl('https://x/c?y=1', { allowQuery: true });
    assert.deepEqual(
      warnings.map((finding) => finding.reason),
      ['cimd_url_query'],
    );
  });

  it('accepts IP literals only with allowIpLiterals', () => {
    assert.deepEqual(checkClientIdUrl('https://192.0.2.1/c', { allowIpLiterals: true }).warnings, []);
    assert.deepEqual(
      checkClientIdUrl('https://[2001:db8::1]:8443/c', { allowIpLiterals: true }).warnings,
      [],
    );
  });

  it('never normalises: https://x:443/c is valid but a different client from https://x/c (CIMD-URL-8)', () => {
    const withPort = clientIdUrlParts('https://x.example:443/c');
    const without = clientIdUrlParts('https://x.example/c');
    assert.equal(withPort?.port, '443');
    assert.equal(without?.port, undefined);
    assert.notEqual('https://x.example:443/c', 'https://x.example/c');
    // What the check protects against: the WHATWG parser would make them equal.
    assert.equal(new URL('https://x.example:443/c').href, new URL('https://x.example/c').href);
  });

  it('lint reports several violations at once', () => {
    const reasons = lintClientIdUrl('https://x/a/../b?q=1#f').map((finding) => finding.reason);
    assert.deepEqual(reasons, ['cimd_url_fragment', 'cimd_url_dot_segment', 'cimd_url_query']);
  });

  it('every finding carries a requirement id', () => {
    for (const [, url, , policy] of invalid) {
      const findings = lintClientIdUrl(url, policy);
      assert.ok(findings.length > 0, `an invalid URL has a finding to check: ${url}`);
      for (const finding of findings) assert.match(finding.id, /^(CIMD|GH)-[A-Z0-9-]+$/);
    }
  });
});

describe('isClientIdMetadataDocumentUrl (CIMD-CO-2)', () => {
  const cases: Array<[string, boolean]> = [
    ['https://example.com/c', true],
    ['https://x', true], // a candidate; checkClientIdUrl then refuses it
    ['HTTPS://example.com/c', false],
    ['http://example.com/c', false],
    ['4f1c2e8a-client', false],
    ['', false],
  ];
  for (const [clientId, expected] of cases) {
    it(`${JSON.stringify(clientId)} → ${expected}`, () => {
      assert.equal(isClientIdMetadataDocumentUrl(clientId), expected);
    });
  }
});
