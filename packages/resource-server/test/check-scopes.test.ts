/**
 * `rs.checkScopes(auth, scopes)`: the per-operation scope check (MCP-16 step-up, RFC 6750 §3.1)
 * for a request `authenticate` already let in. Its refusal must be exactly the one
 * `authenticate(request, { scopes })` gives: the token's scheme (DPoP with `algs`, RFC 9449 §7.1),
 * `scope`, `resource_metadata` (MCP-19), and `scopeImplies`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuthenticateResult, AuthInfo, CheckScopesResult, ResourceServer } from '../src/index.ts';
import {
  challenges,
  type DpopKey,
  dpopKey,
  type Fixture,
  mcpRequest,
  startFixture,
} from './support/fixture.ts';

let f: Fixture;
let key: DpopKey;
before(async () => {
  f = await startFixture();
  key = await dpopKey(f.clock.now);
});
after(() => f.close());

const METADATA = 'https://mcp.example/.well-known/oauth-protected-resource/mcp';

const bearer = (token: string) => mcpRequest({ authorization: `Bearer ${token}` });
const dpop = async (token: string) =>
  mcpRequest({ authorization: `DPoP ${token}`, dpop: await key.proof({ token }) });

async function authenticated(rs: ResourceServer, request: Request): Promise<AuthInfo> {
  const result = await rs.authenticate(request);
  assert.equal(result.ok, true, 'the token itself is good');
  if (!result.ok) throw new Error('unreachable');
  return result.auth;
}

function refusal(result: AuthenticateResult | CheckScopesResult) {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) throw new Error('unreachable');
  return result;
}

/** Status, headers and body of a response, for comparing two answers exactly. */
async function snapshot(response: Response) {
  return {
    status: response.status,
    headers: [...response.headers.entries()],
    body: await response.text(),
  };
}

describe('checkScopes (MCP-16 per-operation step-up)', () => {
  it('a Bearer token with every scope needed: ok', async () => {
    const rs = f.rs();
    const auth = await authenticated(rs, bearer(await f.token({ scope: 'mcp:tools mcp:admin' })));
    assert.deepEqual(rs.checkScopes(auth, ['mcp:tools', 'mcp:admin']), { ok: true });
    assert.deepEqual(rs.checkScopes(auth, []), { ok: true }, 'nothing needed');
  });

  it('a Bearer token missing a scope: 403 insufficient_scope, Bearer challenge naming every scope needed', async () => {
    const rs = f.rs();
    const auth = await authenticated(rs, bearer(await f.token({ scope: 'mcp:tools' })));
    const { response, error } = refusal(rs.checkScopes(auth, ['mcp:tools', 'mcp:admin']));
    assert.equal(error.error, 'insufficient_scope');
    assert.equal(error.reason, 'scope_insufficient');
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const header = response.headers.get('www-authenticate')!;
    assert.match(header, /^Bearer /);
    assert.equal(challenges(header).size, 1, 'only the scheme the token came with');
    const parsed = challenges(header).get('Bearer')!;
    assert.equal(parsed.error, 'insufficient_scope');
    assert.equal(parsed.scope, 'mcp:tools mcp:admin');
    assert.equal(parsed.resource_metadata, METADATA);
    assert.equal(parsed.algs, undefined, 'algs belongs to DPoP challenges only');
    assert.equal(((await response.json()) as { error: string }).error, 'insufficient_scope');
  });

  it('a DPoP-bound token missing a scope: the DPoP challenge, with algs (RFC 9449 §7.1)', async () => {
    const rs = f.rs();
    const token = await f.token({ scope: 'mcp:tools', cnf: { jkt: key.jkt } });
    const auth = await authenticated(rs, await dpop(token));
    const { response } = refusal(rs.checkScopes(auth, ['mcp:tools', 'mcp:admin']));
    assert.equal(response.status, 403);
    const header = response.headers.get('www-authenticate')!;
    assert.match(header, /^DPoP /);
    const parsed = challenges(header).get('DPoP')!;
    assert.equal(parsed.error, 'insufficient_scope');
    assert.equal(parsed.scope, 'mcp:tools mcp:admin');
    assert.equal(parsed.resource_metadata, METADATA);
    assert.equal(parsed.algs, 'ES256 ES384 EdDSA RS256 PS256');
  });

  it('honours scopeImplies, transitively', async () => {
    const rs = f.rs({ scopeImplies: { 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:tools'] } });
    const auth = await authenticated(rs, bearer(await f.token({ scope: 'mcp:admin' })));
    assert.deepEqual(rs.checkScopes(auth, ['mcp:tools', 'mcp:write']), { ok: true });
    const lesser = await authenticated(rs, bearer(await f.token({ scope: 'mcp:tools' })));
    assert.equal(rs.checkScopes(lesser, ['mcp:admin']).ok, false);
  });

  it('repeated scopes are named once, as authenticate names them', async () => {
    const rs = f.rs();
    const auth = await authenticated(rs, bearer(await f.token({ scope: 'mcp:tools' })));
    const { response } = refusal(rs.checkScopes(auth, ['mcp:admin', 'mcp:tools', 'mcp:admin']));
    assert.equal(
      challenges(response.headers.get('www-authenticate')).get('Bearer')?.scope,
      'mcp:admin mcp:tools',
    );
  });

  for (const kind of ['Bearer', 'DPoP'] as const) {
    it(`${kind}: exactly the answer authenticate(request, { scopes }) gives (status, headers, body, error)`, async () => {
      const rs = f.rs();
      const scopes = ['mcp:tools', 'mcp:admin', 'mcp:tools'];
      const mint = () =>
        f.token({ scope: 'mcp:tools', ...(kind === 'DPoP' ? { cnf: { jkt: key.jkt } } : {}) });
      const request = async () => (kind === 'DPoP' ? dpop(await mint()) : bearer(await mint()));
      const viaAuthenticate = refusal(await rs.authenticate(await request(), { scopes }));
      const viaCheck = refusal(rs.checkScopes(await authenticated(rs, await request()), scopes));
      assert.deepEqual(await snapshot(viaCheck.response), await snapshot(viaAuthenticate.response));
      assert.deepEqual(viaCheck.error.toJSON(), viaAuthenticate.error.toJSON());
      assert.equal(viaCheck.error.reason, viaAuthenticate.error.reason);
      assert.equal(viaCheck.error.error, viaAuthenticate.error.error);
    });
  }
});
