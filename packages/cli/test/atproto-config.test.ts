/**
 * The AT Protocol profile from the configuration (docs/configuration.md, docs/atproto.md): the
 * `--profile` flag, `dpop.required_at_par` and the confidential-client lifetimes (AT-10, AT-11)
 * reaching the server, and the profile's refusals at start-up.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextOf } from '../../server/test/support/server-internals.ts';
import { startGatehouse } from '../src/commands/serve.ts';
import { loadConfig } from '../src/config.ts';
import { run } from './support/cli-process.ts';

const DAY = 86400;

function atprotoConfig(extra: Record<string, unknown> = {}) {
  return loadConfig({
    env: {
      GATEHOUSE_ISSUER: 'https://auth.test',
      GATEHOUSE_STORE: 'memory',
      GATEHOUSE_PORT: '0',
      GATEHOUSE_LOG_LEVEL: 'silent',
      GATEHOUSE_RESOURCES: '[{"uri":"https://pds.test","scopes":["transition:generic"]}]',
    },
    flags: { profile: 'atproto', ...extra },
  });
}

describe('the atproto profile from the configuration', () => {
  it('takes --profile on the command line, and refuses an unknown one by name', async () => {
    // The profile is on: the default loopback issuer is refused with its requirement (AT-12).
    const atproto = await run(['serve', '--profile', 'atproto', '--store', 'memory', '--port', '0']);
    assert.equal(atproto.code, 2);
    assert.match(atproto.stderr, /profile atproto: the issuer must be a plain https origin/);
    assert.doesNotMatch(atproto.stderr, /\n\s+at /, 'a configuration error, without a stack trace');
    const unknown = await run(['serve', '--profile', 'oidc', '--store', 'memory', '--port', '0']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /profile/);
  });

  it('passes the confidential lifetimes and dpop.required_at_par to the server (AT-10, AT-11)', async () => {
    const running = await startGatehouse(
      atprotoConfig({
        lifetimes: {
          confidential_refresh_token_seconds: 180 * DAY,
          confidential_token_family_seconds: 1000 * DAY,
        },
      }),
    );
    try {
      const { lifetimes, dpop } = contextOf(running.server);
      assert.equal(lifetimes.confidentialRefreshTokenSeconds, 180 * DAY);
      assert.equal(lifetimes.confidentialTokenFamilySeconds, 1000 * DAY);
      assert.equal(lifetimes.refreshTokenSeconds, 14 * DAY);
      assert.equal(dpop.requiredAtPar, true, 'the profile turns DPoP at PAR on');
    } finally {
      await running.stop();
    }
    const defaults = await startGatehouse(atprotoConfig());
    try {
      assert.equal(contextOf(defaults.server).lifetimes.confidentialRefreshTokenSeconds, 90 * DAY);
      assert.equal(contextOf(defaults.server).lifetimes.confidentialTokenFamilySeconds, 365 * DAY);
    } finally {
      await defaults.stop();
    }
  });

  it('refuses what the profile cannot serve', async () => {
    await assert.rejects(
      startGatehouse(atprotoConfig({ lifetimes: { confidential_refresh_token_seconds: 181 * DAY } })),
      /confidentialRefreshTokenSeconds must be at most 180 days \(AT-10\)/,
    );
    await assert.rejects(
      startGatehouse(atprotoConfig({ dpop: { required_at_par: false } })),
      /requiredAtPar cannot be false.*AT-11/,
    );
  });

  it('turns dpop.required_at_par on outside the profile', async () => {
    const config = loadConfig({
      env: { GATEHOUSE_STORE: 'memory', GATEHOUSE_PORT: '0', GATEHOUSE_LOG_LEVEL: 'silent' },
      flags: { dpop: { required_at_par: true } },
    });
    const running = await startGatehouse(config);
    try {
      assert.equal(contextOf(running.server).dpop.requiredAtPar, true);
      assert.equal(contextOf(running.server).dpop.required, false);
    } finally {
      await running.stop();
    }
  });
});
