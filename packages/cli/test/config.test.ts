/**
 * The configuration's sources (docs/configuration.md, decision 0024): a JSON file, GATEHOUSE_*
 * variables and flags, each read as the kind the schema wants, each error naming the variable, flag
 * or file key the operator used, and only the operator's own values passed on to the server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { serverSettings } from '../src/server-options.ts';
import { run } from './support/cli-process.ts';

const fromEnv = (env: Record<string, string>) => loadConfig({ env });

function refused(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the configuration was accepted');
}

describe('configuration from GATEHOUSE_* variables', () => {
  it('reads booleans the way operators write them', () => {
    for (const text of ['true', 'TRUE', '1', 'yes', 'Yes'])
      assert.equal(fromEnv({ GATEHOUSE_CORS: text }).cors, true, text);
    for (const text of ['false', 'False', '0', 'no', 'NO'])
      assert.equal(fromEnv({ GATEHOUSE_CORS: text }).cors, false, text);
    assert.match(
      refused(() => fromEnv({ GATEHOUSE_CORS: 'maybe' })),
      /^invalid configuration: GATEHOUSE_CORS: expected true or false, got "maybe"$/,
    );
  });

  it('warns about an unknown variable, naming the nearest setting, and never stops', () => {
    const config = fromEnv({
      GATEHOUSE_PORTT: '1',
      GATEHOUSE_LIFETIMES__ACCESS_TOKEN_SECOND: '60',
      GATEHOUSE_VERSION: '1.2.3',
      GATEHOUSE_PORT: '9000',
    });
    assert.equal(config.port, 9000);
    assert.deepEqual(config.warnings, [
      'GATEHOUSE_PORTT is not a Gatehouse setting and is ignored; the nearest setting is GATEHOUSE_PORT',
      'GATEHOUSE_LIFETIMES__ACCESS_TOKEN_SECOND is not a Gatehouse setting and is ignored; the nearest setting is GATEHOUSE_LIFETIMES__ACCESS_TOKEN_SECONDS',
      'GATEHOUSE_VERSION is not a Gatehouse setting and is ignored; the nearest setting is GATEHOUSE_LOGIN',
    ]);
    assert.deepEqual(fromEnv({ GATEHOUSE_PORT: '9000' }).warnings, []);
  });

  it('reads a variable inside a free-form setting as data, not as an unknown setting', () => {
    const config = fromEnv({ GATEHOUSE_FETCH__DEV_HOSTS__CLIENT: '127.0.0.1' });
    assert.deepEqual(config.fetch.devHosts, { client: '127.0.0.1' });
    assert.deepEqual(config.warnings, []);
  });

  it('reads numbers, and names the variable when one is not a number or out of range', () => {
    assert.equal(fromEnv({ GATEHOUSE_PORT: '8443' }).port, 8443);
    assert.equal(
      fromEnv({ GATEHOUSE_CIMD__FETCHES_PER_SECOND_PER_HOST: '0.5' }).cimd.fetchesPerSecondPerHost,
      0.5,
    );
    assert.match(
      refused(() => fromEnv({ GATEHOUSE_PORT: 'eighty' })),
      /GATEHOUSE_PORT: expected a number, got "eighty"/,
    );
    assert.match(
      refused(() => fromEnv({ GATEHOUSE_PORT: '70000' })),
      /GATEHOUSE_PORT: must be at most 65535/,
    );
  });

  it('reads lists comma-separated or as JSON, and objects as JSON', () => {
    assert.deepEqual(fromEnv({ GATEHOUSE_DPOP__ALGORITHMS: 'ES256, EdDSA' }).dpop.algorithms, [
      'ES256',
      'EdDSA',
    ]);
    assert.deepEqual(fromEnv({ GATEHOUSE_DPOP__ALGORITHMS: '["ES384"]' }).dpop.algorithms, ['ES384']);
    const config = fromEnv({
      GATEHOUSE_RESOURCES:
        '[{"uri":"https://mcp.example.test/mcp","scopes":["a","b"],"default_scopes":["a"]}]',
      GATEHOUSE_FETCH__DEV_HOSTS: '{"Client.Test":"127.0.0.1"}',
    });
    assert.deepEqual(config.resources, [
      { uri: 'https://mcp.example.test/mcp', scopes: ['a', 'b'], defaultScopes: ['a'] },
    ]);
    // A free-form record: its keys are data, not settings, and are left as written.
    assert.deepEqual(config.fetch.devHosts, { 'Client.Test': '127.0.0.1' });
    assert.match(
      refused(() => fromEnv({ GATEHOUSE_METRICS__LISTEN: 'port=1' })),
      /GATEHOUSE_METRICS__LISTEN: expected a JSON object/,
    );
    assert.match(
      refused(() => fromEnv({ GATEHOUSE_RESOURCES: '[{"uri":' })),
      /GATEHOUSE_RESOURCES: expected a JSON array/,
    );
  });

  it('reads who may introspect (decision 0029), and passes it to the server under its names', () => {
    const config = fromEnv({
      GATEHOUSE_INTROSPECTION__CLIENTS: 'audit-service, mcp-rs',
      GATEHOUSE_RESOURCES:
        '[{"uri":"https://mcp.example.test/mcp","scopes":["a"],"introspection_clients":["mcp-rs"]}]',
    });
    assert.deepEqual(config.introspection.clients, ['audit-service', 'mcp-rs']);
    const settings = serverSettings(config, 'https://as.example.test');
    assert.deepEqual(settings.introspection, { clients: ['audit-service', 'mcp-rs'] });
    assert.deepEqual(settings.resources, [
      { uri: 'https://mcp.example.test/mcp', scopes: ['a'], introspectionClients: ['mcp-rs'] },
    ]);
  });

  it('reaches nested keys with __, and names the variable and the rest of the path in an error', () => {
    const config = fromEnv({
      GATEHOUSE_LIFETIMES__ACCESS_TOKEN_SECONDS: '120',
      GATEHOUSE_REGISTRATION__RATE_LIMITS__PER_IP: '{"limit":5,"window_seconds":60}',
    });
    assert.equal(config.lifetimes.accessTokenSeconds, 120);
    assert.deepEqual(config.registration.rateLimits.perIp, { limit: 5, windowSeconds: 60 });
    assert.match(
      refused(() => fromEnv({ GATEHOUSE_LIFETIMES__ACCESS_TOKEN_SECONDS: '5' })),
      /GATEHOUSE_LIFETIMES__ACCESS_TOKEN_SECONDS: must be at least 30/,
    );
    assert.match(
      refused(() => fromEnv({ GATEHOUSE_RESOURCES: '[{"uri":"nope"}]' })),
      /GATEHOUSE_RESOURCES: 0\.uri: must be a URL/,
    );
    assert.match(
      refused(() => fromEnv({ GATEHOUSE_REGISTRATION__RATE_LIMITS__PER_IP: '{"limit":5,"window":60}' })),
      /GATEHOUSE_REGISTRATION__RATE_LIMITS__PER_IP: unknown setting registration\.rate_limits\.per_ip\.window/,
    );
  });

  it('ignores variables without the GATEHOUSE_ prefix, such as the test suite’s own', () => {
    const config = fromEnv({ TEST_REQUIRE_POSTGRES: '1', TEST_REQUIRE_BROWSER: '1', TEST_CHROMIUM: '/x' });
    assert.deepEqual(config.given, {});
  });
});

describe('configuration from the file and flags', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  it('names the file and the key path of what is wrong in it', () => {
    const path = file('bad.json', { cimd: { min_ttl_seconds: -1 }, isuer: 'https://x.example', port: 'x' });
    const message = refused(() => loadConfig({ file: path }));
    assert.match(message, new RegExp(`${path}: cimd\\.min_ttl_seconds: must be at least 0`));
    assert.match(message, new RegExp(`${path}: unknown setting isuer`));
    assert.match(message, new RegExp(`${path}: port: expected a number, got "x"`));
    assert.equal(message.split('\n').length, 4, 'a heading and one line per problem');
  });

  it('has one spelling per key: a camelCase key in the file is unknown', () => {
    const path = file('camel.json', { lifetimes: { accessTokenSeconds: 60 } });
    assert.match(
      refused(() => loadConfig({ file: path })),
      /unknown setting lifetimes\.accessTokenSeconds/,
    );
  });

  it('names the flag', () => {
    assert.match(
      refused(() => loadConfig({ flags: { port: '99999' } })),
      /--port: must be at most 65535/,
    );
    assert.match(
      refused(() => loadConfig({ flags: { log_level: 'loud' } })),
      /--log-level: must be one of "fatal"/,
    );
    assert.match(
      refused(() => loadConfig({ flags: { tls: { cert: '', key: 'k' } } })),
      /--tls-cert: must not be empty/,
    );
  });

  it('lets variables override the file, and flags override both', () => {
    const path = file('port.json', { port: 1000, cors: true });
    const env = { GATEHOUSE_CONFIG: path, GATEHOUSE_PORT: '2000' };
    assert.equal(loadConfig({ env }).port, 2000);
    assert.equal(loadConfig({ env, flags: { port: '3000' } }).port, 3000);
    assert.equal(loadConfig({ env }).cors, true);
    assert.match(
      refused(() => loadConfig({ env: { ...env, GATEHOUSE_PORT: 'x' } })),
      /GATEHOUSE_PORT: expected a number/,
    );
  });

  it('keeps the documented example file valid', () => {
    const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const example = /```json\n(\{\n {2}"issuer"[\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(example, 'the example in docs/configuration.md');
    const config = loadConfig({ file: file('example.json', JSON.parse(example)) });
    assert.equal(config.resources[0]?.defaultScopes?.[0], 'mcp:tools');
  });

  it('passes the server only what the operator set, under the library’s names', () => {
    const config = loadConfig({
      flags: {
        par: { request_lifetime_seconds: 30 },
        atproto: { dev_allow_client_id_port: true },
        metrics: { token: 'x'.repeat(20) },
        resources: [{ uri: 'https://api.example.test' }],
      },
    });
    assert.deepEqual(serverSettings(config, 'https://as.example.test'), {
      issuer: 'https://as.example.test',
      resources: [{ uri: 'https://api.example.test', scopes: [] }],
      lifetimes: { pushedRequestSeconds: 30 },
      par: {},
      atproto: { allowClientIdPort: true },
      operations: { processMetrics: true, metricsToken: 'x'.repeat(20) },
    });
  });
});

describe('the gatehouse command and the test suite’s variables', () => {
  it('runs with TEST_* variables exported, and names a bad GATEHOUSE_ variable without a stack trace', async () => {
    const env = { TEST_REQUIRE_POSTGRES: '1', TEST_REQUIRE_BROWSER: '1', GATEHOUSE_STORE: 'memory' };
    const migrate = await run(['migrate'], { env });
    assert.equal(migrate.code, 0, migrate.stderr);
    const bad = await run(['migrate'], { env: { ...env, GATEHOUSE_CORS: 'maybe' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /GATEHOUSE_CORS: expected true or false, got "maybe"/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });
});
