/** The public shape of AuthorizationServer: ready(), audit, and no internals (issue #12). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthorizationServer } from '../src/index.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';

describe('AuthorizationServer', () => {
  it('ready() makes the signing key and the DPoP nonce secret before any request', async () => {
    const store = createMemoryStore();
    const secrets: string[] = [];
    const getOrCreate = store.serverSecrets.getOrCreate.bind(store.serverSecrets);
    store.serverSecrets.getOrCreate = (name, create) => {
      secrets.push(name);
      return getOrCreate(name, create);
    };
    const server = createAuthorizationServer({ issuer: 'https://as.example.test', store });
    assert.equal((await store.signingKeys.list()).length, 0);
    await server.ready();
    assert.equal((await store.signingKeys.list()).length, 1);
    assert.equal(secrets.length, 1, 'the nonce secret was read or made');
  });

  it('audit records through the server: the store by default', async () => {
    const store = createMemoryStore();
    const server = createAuthorizationServer({ issuer: 'https://as.example.test', store });
    await server.audit({ type: 'client.removed', clientId: 'c1', actor: 'system:test' });
    const [event] = await store.audit.list({ type: 'client.removed' });
    assert.equal(event?.clientId, 'c1');
    assert.equal(typeof event?.at, 'number');
  });

  it('does not expose its context', () => {
    const server = createAuthorizationServer({
      issuer: 'https://as.example.test',
      store: createMemoryStore(),
    });
    assert.equal('context' in server, false);
  });
});
