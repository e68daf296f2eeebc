/** private_key_jwt in the server metadata (RFC 8414, MCP-EXT-CC, AT-12): the method and the asymmetric algorithms at every authenticated endpoint. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Body, setup } from './support/private-key-jwt.ts';
import { ISSUER } from './support/test-server.ts';

describe('private_key_jwt: server metadata (RFC 8414, MCP-EXT-CC, AT-12)', () => {
  it('lists private_key_jwt and the asymmetric algorithms at every authenticated endpoint', async () => {
    const { t } = await setup();
    const metadata = (await (
      await t.send(`${ISSUER}/.well-known/oauth-authorization-server`)
    ).json()) as Body;
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      const methods = metadata[`${endpoint}_endpoint_auth_methods_supported`] as string[];
      assert.ok(methods.includes('private_key_jwt'), endpoint);
      const algs = metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`] as string[];
      assert.ok(algs.includes('ES256') && algs.includes('RS256'), endpoint);
      assert.ok(!algs.includes('none') && !algs.some((alg) => alg.startsWith('HS')), endpoint);
    }
    assert.ok(!(metadata.introspection_endpoint_auth_methods_supported as string[]).includes('none'));
  });
});
