/**
 * createAuthorizationServer validates its options against the one schema (decision 0024): a wrong
 * value is refused naming its key path, defaults come from the schema, and a profile's defaults sit
 * between the embedder's explicit settings and the schema's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AuthorizationServerOptions,
  ConfigurationError,
  createAuthorizationServer,
  createMemoryStore,
  defaultLifetimes,
  serverConfigSchema,
} from '../src/index.ts';
import { contextOf } from './support/server-internals.ts';

const base = { issuer: 'https://as.example.test', store: createMemoryStore() };

function refusal(options: Record<string, unknown>): ConfigurationError {
  try {
    createAuthorizationServer({ ...base, ...options } as AuthorizationServerOptions);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, String(error));
    return error;
  }
  assert.fail('the options were accepted');
}

describe('the options of createAuthorizationServer', () => {
  it('refuses a bad nested value, naming its key path', () => {
    assert.equal(
      refusal({ lifetimes: { accessTokenSeconds: 5 } }).message,
      'lifetimes.accessTokenSeconds: must be at least 30',
    );
    assert.equal(
      refusal({ registration: { rateLimits: { perIp: { limit: 0, windowSeconds: 60 } } } }).message,
      'registration.rateLimits.perIp.limit: must be at least 1',
    );
    assert.equal(
      refusal({ cimd: { onChange: 'forget' } }).message,
      'cimd.onChange: must be one of "keep", "reconsent", "revoke"',
    );
    assert.equal(refusal({ cors: 'yes' }).message, 'cors: expected boolean, got string');
    assert.equal(
      refusal({ resources: [{ uri: 'not a url', scopes: [] }] }).message,
      'resources.0.uri: must be a URL',
    );
  });

  it('refuses unknown keys, and says every problem on a line of its own', () => {
    const error = refusal({ lifetimes: { accessTokenSecs: 60 }, dpop: { windowSeconds: 0 } });
    assert.deepEqual(error.message.split('\n').sort(), [
      'dpop.windowSeconds: must be at least 1',
      'lifetimes.accessTokenSecs: unknown setting',
    ]);
    assert.deepEqual(error.problems.map((problem) => problem.path.join('.')).sort(), [
      'dpop.windowSeconds',
      'lifetimes.accessTokenSecs',
    ]);
  });

  it('applies the schema defaults', () => {
    const context = contextOf(createAuthorizationServer(base));
    assert.deepEqual(context.lifetimes, defaultLifetimes);
    assert.equal(context.lifetimes.accessTokenSeconds, 300);
    assert.equal(context.serviceName, 'Gatehouse');
    assert.equal(context.cors, false);
    assert.equal(context.par.required, false);
    assert.equal(context.dpop.windowSeconds, 60);
    assert.deepEqual(context.features, { cimd: true, registration: true });
    // The schema is the one place: parsing nothing gives the same lifetimes.
    assert.deepEqual(serverConfigSchema.parse({ issuer: base.issuer }).lifetimes, defaultLifetimes);
  });

  it('keeps explicit settings over the profile, and the profile over the schema', () => {
    const mcp = createAuthorizationServer({ ...base, profile: 'mcp' });
    assert.equal(contextOf(mcp).resources.selfRegisteredScopeIsLimit, false, 'the MCP profile default');
    const explicit = createAuthorizationServer({
      ...base,
      profile: 'mcp',
      registration: { selfRegisteredScopeIsLimit: true },
    });
    assert.equal(contextOf(explicit).resources.selfRegisteredScopeIsLimit, true, 'explicit wins');
    const plain = createAuthorizationServer(base);
    assert.equal(contextOf(plain).resources.selfRegisteredScopeIsLimit, true, 'the schema default');
  });

  it('does not let an unset (undefined) lifetime erase the atproto profile default (AT-10)', () => {
    const server = createAuthorizationServer({
      ...base,
      profile: 'atproto',
      resources: [{ uri: 'https://pds.example.test', scopes: [] }],
      lifetimes: { tokenFamilySeconds: undefined },
    });
    assert.equal(contextOf(server).lifetimes.tokenFamilySeconds, 14 * 86400);
  });
});
