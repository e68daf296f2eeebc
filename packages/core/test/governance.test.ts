/**
 * The pure governance rules of issue #13: selectors as operators write them, which clients they
 * match, which rule wins, the admission decision per mode, default trust tiers and the scope
 * ceiling.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideAdmission,
  defaultTrustTier,
  effectiveScopeCeiling,
  formatClientSelector,
  type GovernanceMode,
  type GovernanceRule,
  type GovernedClient,
  indexRules,
  isOAuthError,
  parseClientSelector,
  selectorMatches,
} from '../src/index.ts';

const CODEX = 'https://chatgpt.com/oauth/codex/abc123/client.json';
const cimd = (clientId: string): GovernedClient => ({
  clientId,
  kind: 'cimd',
  host: new URL(clientId).hostname,
});

describe('client selectors', () => {
  it('parse each written form, and write it back the same way', () => {
    const forms: [string, string][] = [
      ['https://app.example/client.json', 'client_id'],
      ['https://chatgpt.com/oauth/codex/*/client.json', 'url_pattern'],
      ['https://app.example/tenants/**', 'url_pattern'],
      ['host:App.Example', 'host'],
      ['domain:example.com', 'domain'],
      ['software:com.example.agent', 'software'],
      ['redirect-host:callback.example', 'redirect_host'],
      ['kind:loopback', 'kind'],
      ['public-app', 'client_id'],
      ['id:host:weird', 'client_id'],
    ];
    assert.equal(forms.length, 10);
    for (const [written, type] of forms) {
      const selector = parseClientSelector(written);
      assert.equal(selector.type, type, written);
      assert.equal(
        formatClientSelector(selector),
        written === 'host:App.Example' ? 'host:app.example' : written,
      );
    }
  });

  it('refuse what could never match, with reason invalid_selector', () => {
    const bad = [
      '',
      'host:',
      'domain:exa mple.com',
      'kind:robot',
      'software:',
      'id:',
      'https://*.example.com/client.json',
      'https://app.example/a*b/client.json',
      'https://app.example/**/client.json',
      'https://app.example/*?x=1',
    ];
    assert.equal(bad.length, 10);
    for (const written of bad) {
      assert.throws(
        () => parseClientSelector(written),
        (error: unknown) => isOAuthError(error) && error.reason === 'invalid_selector',
        written,
      );
    }
  });

  it('match URL patterns segment by segment on the raw client_id', () => {
    const one = parseClientSelector('https://chatgpt.com/oauth/codex/*/client.json');
    const rest = parseClientSelector('https://chatgpt.com/oauth/**');
    const cases: [string, boolean, boolean][] = [
      [CODEX, true, true],
      ['https://chatgpt.com/oauth/codex/client.json', false, true],
      ['https://chatgpt.com/oauth/codex/a/b/client.json', false, true],
      ['https://chatgpt.com/oauth/codex//client.json', false, true],
      ['https://chatgpt.com:443/oauth/codex/abc/client.json', false, false],
      ['https://evil.example/oauth/codex/abc/client.json', false, false],
      [`${CODEX}?x=1`, false, false],
      ['https://chatgpt.com/oauth/', false, false],
    ];
    assert.equal(cases.length, 8);
    for (const [clientId, byOne, byRest] of cases) {
      assert.equal(selectorMatches(one, { clientId, kind: 'cimd' }), byOne, `* ${clientId}`);
      assert.equal(selectorMatches(rest, { clientId, kind: 'cimd' }), byRest, `** ${clientId}`);
    }
  });

  it('match host: one host, domain: the host and its subdomains', () => {
    const client = cimd('https://mcp.tools.example.com/client.json');
    assert.equal(selectorMatches(parseClientSelector('host:mcp.tools.example.com'), client), true);
    assert.equal(selectorMatches(parseClientSelector('host:tools.example.com'), client), false);
    assert.equal(selectorMatches(parseClientSelector('domain:example.com'), client), true);
    assert.equal(selectorMatches(parseClientSelector('domain:mcp.tools.example.com'), client), true);
    assert.equal(selectorMatches(parseClientSelector('domain:ample.com'), client), false);
  });
});

describe('the admission decision', () => {
  const rule = (selector: string, extra: Partial<GovernanceRule>): GovernanceRule => ({
    selector,
    origin: 'stored',
    ...extra,
  });
  const decide = (rules: GovernanceRule[], mode: GovernanceMode, client = cimd(CODEX)) =>
    decideAdmission({ client, redirectUris: ['https://chatgpt.com/cb'], rules: indexRules(rules), mode });

  it('the most specific rule wins, whatever the order', () => {
    const rules = [
      rule('kind:cimd', { state: 'blocked' }),
      rule('domain:chatgpt.com', { state: 'pending' }),
      rule('https://chatgpt.com/oauth/**', { state: 'blocked' }),
      rule('https://chatgpt.com/oauth/codex/*/client.json', { state: 'approved' }),
    ];
    for (const order of [rules, [...rules].reverse()]) {
      const decision = decide(order, 'approval');
      assert.equal(decision.state, 'approved');
      assert.equal(decision.stateRule?.selector, 'https://chatgpt.com/oauth/codex/*/client.json');
    }
    assert.equal(decide([...rules, rule(CODEX, { state: 'blocked' })], 'open').state, 'blocked');
  });

  it('between equally specific rules, the safer state wins', () => {
    const decision = decide(
      [rule('host:chatgpt.com', { state: 'approved' }), rule('host:chatgpt.com', { state: 'blocked' })],
      'open',
    );
    assert.equal(decision.refusal, 'client_blocked');
  });

  it('each mode decides a client no rule mentions', () => {
    const expected: [GovernanceMode, string, boolean, string | undefined][] = [
      ['open', 'approved', true, undefined],
      ['approval', 'pending', false, 'client_pending'],
      ['allowlist', 'pending', false, 'client_not_admitted'],
      ['report-only', 'pending', true, 'client_pending'],
    ];
    for (const [mode, state, admitted, refusal] of expected) {
      const decision = decide([], mode);
      assert.deepEqual(
        [decision.state, decision.admitted, decision.refusal],
        [state, admitted, refusal],
        mode,
      );
    }
  });

  it('a block holds in every enforcing mode, and report-only only reports it', () => {
    const block = [rule('domain:chatgpt.com', { state: 'blocked', note: 'abuse' })];
    for (const mode of ['open', 'approval', 'allowlist'] as const)
      assert.equal(decide(block, mode).admitted, false);
    const reported = decide(block, 'report-only');
    assert.equal(reported.admitted, true);
    assert.equal(reported.refusal, 'client_blocked');
    assert.match(reported.reasons[0]!, /blocked by rule domain:chatgpt\.com \(stored\)/);
  });

  it('a hold from a suspicious change makes an approved client pending again, a block stays a block', () => {
    const client = cimd(CODEX);
    const rules = indexRules([rule(CODEX, { state: 'approved' })]);
    const held = decideAdmission({
      client,
      redirectUris: [],
      rules,
      mode: 'open',
      hold: { reason: 'redirect host added' },
    });
    assert.deepEqual([held.state, held.refusal], ['pending', 'client_pending']);
    assert.match(held.reasons[0]!, /redirect host added/);
    const blocked = decideAdmission({
      client,
      redirectUris: [],
      rules: indexRules([rule('domain:chatgpt.com', { state: 'blocked' })]),
      mode: 'open',
      hold: { reason: 'redirect host added' },
    });
    assert.equal(blocked.refusal, 'client_blocked');
  });

  it('finds its rules among a thousand by index, not by scan', () => {
    const many = Array.from({ length: 1000 }, (_, index) =>
      rule(`https://client${index}.example/client.json`, { state: 'approved' }),
    );
    const index = indexRules(many);
    assert.equal(index.size, 1000);
    assert.equal(index.matching(cimd('https://client999.example/client.json')).length, 1);
  });

  it("a rule naming a shared registration's client_id applies to its installations (decision 0046)", () => {
    const installation = { clientId: 'dcr_mine', kind: 'dcr' as const, sharedClientId: 'dcr_shared' };
    const blocked = decideAdmission({
      client: installation,
      redirectUris: [],
      rules: indexRules([rule('dcr_shared', { state: 'blocked' })]),
      mode: 'open',
    });
    assert.equal(blocked.refusal, 'client_blocked');
    assert.equal(selectorMatches(parseClientSelector('dcr_shared'), installation), true);
    assert.equal(selectorMatches(parseClientSelector('dcr_other'), installation), false);
  });
});

describe('trust tiers and the scope ceiling', () => {
  it('a client gets the weakest tier that applies', () => {
    assert.equal(defaultTrustTier('static', ['https://app.example/cb']), 'trusted');
    assert.equal(
      defaultTrustTier('cimd', ['https://app.example/cb', 'http://127.0.0.1/cb']),
      'verified-domain',
    );
    assert.equal(defaultTrustTier('cimd', ['http://localhost/cb', 'http://127.0.0.1/cb']), 'local');
    assert.equal(defaultTrustTier('dcr', ['https://app.example/cb']), 'self-asserted');
    assert.equal(defaultTrustTier('static', ['com.example.app:/callback']), 'local');
    assert.equal(defaultTrustTier('loopback', []), 'local');
  });

  it('the ceiling is the intersection: a document narrows, never widens', () => {
    const tier = ['mcp:tools', 'mcp:read'];
    const document = ['mcp:tools', 'mcp:admin'];
    assert.deepEqual([...effectiveScopeCeiling(tier, undefined, document)!], ['mcp:tools']);
    assert.equal(effectiveScopeCeiling(undefined, undefined, undefined), undefined);
    assert.deepEqual([...effectiveScopeCeiling(undefined, ['a'], ['a', 'b'])!], ['a']);
  });
});
