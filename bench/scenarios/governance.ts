import { expectStatus, runLoad, type Step } from '../driver.ts';
import { type BenchClient, connectTo, pkce } from '../oauth.ts';
import type { ScenarioSetup, ThroughputResult } from './throughput.ts';

/**
 * Issue #13: what governance costs on the request path, measured on and off in the same run. The
 * target `gatehouse-approval` is `gatehouse-sqlite` with `governance.mode: approval` and 1,000
 * rules of every selector kind; the bench CIMD client is approved by one of them. Its `par-cimd`
 * must stay within 10% of `gatehouse-sqlite` (open mode), and `par-blocked` (PAR by a client a
 * URL pattern blocks: refused on its client_id, before any fetch) must cost less than serving the
 * approved client.
 */
export const GOVERNED_TARGET = 'gatehouse-approval';
export const OPEN_TARGET = 'gatehouse-sqlite';
export const RULE_COUNT = 1000;

/** The blocked client: its document is never fetched, so it need not exist. */
export function blockedClient(documentPort: number): BenchClient {
  return {
    clientId: `https://client.bench.test:${documentPort}/blocked/agent-7/client.json`,
    redirectUri: 'https://client.bench.test/callback',
  };
}

/**
 * The 1,000 rules, snake_case as in a configuration file: the approval of the bench client, the
 * block of `/blocked/*` clients, and filler of every selector kind a large operator would have.
 */
export function benchGovernanceRules(cimdClientId: string): Record<string, unknown>[] {
  const origin = new URL(cimdClientId).origin;
  const rules: Record<string, unknown>[] = [
    { selector: cimdClientId, state: 'approved', tier: 'verified-domain' },
    { selector: `${origin}/blocked/*/client.json`, state: 'blocked', note: 'bench: blocked agents' },
  ];
  const kinds = [
    (i: number) => ({ selector: `https://vendor${i}.example/oauth/client.json`, state: 'approved' }),
    (i: number) => ({ selector: `https://vendor${i}.example/mcp/*/client.json`, state: 'approved' }),
    (i: number) => ({ selector: `domain:tenant${i}.example`, state: 'blocked' }),
    (i: number) => ({ selector: `host:app${i}.example`, tier: 'self-asserted' }),
    (i: number) => ({ selector: `software:agent-${i}`, state: 'approved' }),
    (i: number) => ({ selector: `redirect-host:cb${i}.example`, state: 'blocked' }),
  ];
  for (let i = 0; rules.length < RULE_COUNT; i++) rules.push(kinds[i % kinds.length]!(i));
  return rules;
}

/** PAR by the blocked client: every answer must be the refusal (401 invalid_client). */
export async function parBlockedScenario(
  setup: ScenarioSetup,
  client: BenchClient,
): Promise<ThroughputResult> {
  const connections = Array.from({ length: setup.connections }, () => connectTo(setup.target));
  try {
    const { challenge } = pkce();
    const body = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: client.redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const steps: Step[] = connections.map((connection) => async () => {
      expectStatus(await connection.send('POST', setup.target.paths.par, { body }), 401);
    });
    const load = await runLoad(steps, setup.load);
    return { scenario: 'par-blocked', target: setup.target.name, ...load, notes: {} };
  } finally {
    await Promise.all(connections.map((connection) => connection.close()));
  }
}

/** The report's governance lines: approval with 1,000 rules against open; blocked against served. */
export function governanceLines(rows: readonly ThroughputResult[]): string[] {
  const find = (scenario: string, target: string) =>
    rows.find((row) => row.scenario === scenario && row.target === target);
  const governed = find('par-cimd', GOVERNED_TARGET);
  const open = find('par-cimd', OPEN_TARGET);
  const blocked = find('par-blocked', GOVERNED_TARGET);
  if (governed === undefined) return [];
  const lines = [
    '',
    `governance (issue #13): ${GOVERNED_TARGET} = ${OPEN_TARGET} in approval mode with ${RULE_COUNT} rules`,
  ];
  if (open !== undefined) {
    const share = governed.opsPerSecond / open.opsPerSecond;
    lines.push(
      `  par-cimd approved: ${governed.opsPerSecond}/s vs open ${open.opsPerSecond}/s = ${Math.round(share * 100)}% (target ≥ 90%)  ${share >= 0.9 ? 'met' : 'MISSED'}`,
    );
  }
  if (blocked !== undefined) {
    const faster = blocked.opsPerSecond > governed.opsPerSecond;
    lines.push(
      `  par-blocked refused: ${blocked.opsPerSecond}/s p50/p99 ${blocked.p50Ms}/${blocked.p99Ms} ms vs approved ${governed.opsPerSecond}/s (target: refusing costs less)  ${faster ? 'met' : 'MISSED'}`,
    );
  }
  return lines;
}
