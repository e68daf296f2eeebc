/** RFC 9728 protected resource metadata (MCP-19, AT-13) and its path-inserted well-known URL (§3.1). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResourceServer, protectedResourceMetadataUrl } from '../src/index.ts';

describe('the well-known URL (RFC 9728 §3.1)', () => {
  const table: [string, string][] = [
    ['https://mcp.example/mcp', 'https://mcp.example/.well-known/oauth-protected-resource/mcp'],
    ['https://mcp.example/a/b', 'https://mcp.example/.well-known/oauth-protected-resource/a/b'],
    ['https://api.example', 'https://api.example/.well-known/oauth-protected-resource'],
    ['https://api.example/', 'https://api.example/.well-known/oauth-protected-resource'],
    [
      'https://api.example:8443/v1?tenant=a',
      'https://api.example:8443/.well-known/oauth-protected-resource/v1?tenant=a',
    ],
    ['http://localhost:3000/mcp', 'http://localhost:3000/.well-known/oauth-protected-resource/mcp'],
  ];
  for (const [resource, expected] of table) {
    it(`${resource} → ${expected}`, () => assert.equal(protectedResourceMetadataUrl(resource), expected));
  }
});

describe('the document (RFC 9728 §2)', () => {
  it('names Gatehouse as the one authorization server, with scopes, header-only bearer, DPoP algs', () => {
    const rs = createResourceServer({
      issuer: 'https://auth.example',
      resource: 'https://mcp.example/mcp',
      scopesSupported: ['mcp:tools'],
      resourceName: 'Example MCP',
    });
    assert.equal(rs.metadataUrl, 'https://mcp.example/.well-known/oauth-protected-resource/mcp');
    assert.equal(rs.metadataPath, '/.well-known/oauth-protected-resource/mcp');
    assert.deepEqual(rs.metadata(), {
      resource: 'https://mcp.example/mcp',
      authorization_servers: ['https://auth.example'],
      scopes_supported: ['mcp:tools'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example MCP',
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'],
    });
  });
  it('is served at its path with CORS, answers preflight, refuses other methods, ignores other paths', async () => {
    const rs = createResourceServer({ issuer: 'https://auth.example', resource: 'https://mcp.example/mcp' });
    const get = rs.handleMetadataRequest(
      new Request('http://10.0.0.5:3000/.well-known/oauth-protected-resource/mcp'),
    );
    assert.equal(get?.status, 200);
    assert.equal(get?.headers.get('content-type'), 'application/json');
    assert.equal(get?.headers.get('access-control-allow-origin'), '*');
    const document = (await get!.json()) as Record<string, unknown>;
    // §3.3: the resource in the document is the identifier the URL was built from.
    assert.equal(document.resource, 'https://mcp.example/mcp');
    const preflight = rs.handleMetadataRequest(
      new Request('https://mcp.example/.well-known/oauth-protected-resource/mcp', { method: 'OPTIONS' }),
    );
    assert.equal(preflight?.status, 204);
    assert.equal(preflight?.headers.get('access-control-allow-origin'), '*');
    const post = rs.handleMetadataRequest(
      new Request('https://mcp.example/.well-known/oauth-protected-resource/mcp', { method: 'POST' }),
    );
    assert.equal(post?.status, 405);
    assert.equal(rs.handleMetadataRequest(new Request('https://mcp.example/mcp')), undefined);
    assert.equal(
      rs.handleMetadataRequest(new Request('https://mcp.example/.well-known/oauth-protected-resource')),
      undefined,
      'the root location would describe https://mcp.example, another resource (§3.3)',
    );
  });
  it('refuses identifiers RFC 9728 §1.2 does not allow (fragment, http off loopback)', () => {
    assert.throws(
      () => createResourceServer({ issuer: 'https://a.example', resource: 'https://m.example/mcp#x' }),
      TypeError,
    );
    assert.throws(
      () => createResourceServer({ issuer: 'https://a.example', resource: 'http://m.example/mcp' }),
      TypeError,
    );
    assert.throws(
      () => createResourceServer({ issuer: 'http://a.example', resource: 'https://m.example/mcp' }),
      TypeError,
    );
    assert.throws(
      () =>
        createResourceServer({
          issuer: 'https://a.example',
          resource: 'https://m.example',
          algorithms: ['HS256'],
        }),
      TypeError,
    );
  });
});
