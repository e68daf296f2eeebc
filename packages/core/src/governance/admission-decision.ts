/**
 * The admission decision (issue #13): may this client go on, in which trust tier, and why. A pure
 * function of the client's facts, the operator's rules, the governance mode and any hold the
 * server placed on the client; the server loads those and enforces the result at one seam, so the
 * console and the audit can say why without deriving it again.
 *
 * Modes (`governance.mode`):
 * - `open` (default): every client is approved unless a rule says otherwise;
 * - `approval`: a client no rule approves is `pending`: the user is told it awaits the operator,
 *   and the attempt becomes an access request;
 * - `allowlist`: only what a rule approves; everything else is refused (`client_not_admitted`);
 * - `report-only`: the decisions of `approval` mode computed, audited and counted, none enforced.
 * A `blocked` rule is enforced in every mode but `report-only`.
 */
import type { GovernedClient } from './client-selector-match.ts';
import type { ApprovalState, CompiledRule, GovernanceRule } from './governance-rule.ts';
import type { RuleIndex } from './rule-index.ts';
import { defaultTrustTier, type TrustTier } from './trust-tier.ts';

export const GOVERNANCE_MODES = ['open', 'approval', 'allowlist', 'report-only'] as const;
export type GovernanceMode = (typeof GOVERNANCE_MODES)[number];

/** The stable refusal reasons of admission (docs/errors.md). */
export type AdmissionRefusal = 'client_pending' | 'client_blocked' | 'client_not_admitted';

export interface AdmissionInput {
  client: GovernedClient;
  /** The registered redirect URIs when known (after a document fetch): they decide the `local` tier. */
  redirectUris: readonly string[];
  rules: RuleIndex;
  mode: GovernanceMode;
  /** Set by the server when a suspicious document change put the client back to pending. */
  hold?: { reason: string } | undefined;
}

export interface AdmissionDecision {
  state: ApprovalState;
  tier: TrustTier;
  /** Whether the request may go on (always true in report-only). */
  admitted: boolean;
  /** What enforcement refuses with; set in report-only as well, so it can be audited and counted. */
  refusal?: AdmissionRefusal;
  /** The rule that decided the state, if one did. */
  stateRule?: GovernanceRule;
  /** The rule that placed the tier, if one did. */
  tierRule?: GovernanceRule;
  /** Why, in words, for the audit and the console. */
  reasons: string[];
}

/** Equally specific rules disagreeing: the safer state wins. */
const CAUTION: Record<ApprovalState, number> = { blocked: 2, pending: 1, approved: 0 };

export function decideAdmission(input: AdmissionInput): AdmissionDecision {
  const matching = input.rules.matching(input.client);
  const stateRule = mostSpecificSafest(matching.filter((rule) => rule.rule.state !== undefined));
  const tierRule = matching.find((rule) => rule.rule.tier !== undefined);
  const tier = tierRule?.rule.tier ?? defaultTrustTier(input.client.kind, input.redirectUris);
  const reasons: string[] = [];

  let state: ApprovalState;
  if (stateRule?.rule.state === 'blocked') {
    state = 'blocked';
    reasons.push(`blocked by rule ${describe(stateRule.rule)}`);
  } else if (input.hold !== undefined) {
    state = 'pending';
    reasons.push(`held for the operator's review: ${input.hold.reason}`);
  } else if (stateRule !== undefined) {
    state = stateRule.rule.state!;
    reasons.push(`${state} by rule ${describe(stateRule.rule)}`);
  } else if (input.mode === 'open') {
    state = 'approved';
    reasons.push('approved: open mode admits every client no rule holds back');
  } else {
    state = 'pending';
    reasons.push(`pending: no rule approves it (${input.mode} mode)`);
  }
  reasons.push(
    tierRule === undefined
      ? `tier ${tier}: the weakest that applies`
      : `tier ${tier} by rule ${describe(tierRule.rule)}`,
  );

  const refusal = refusalFor(state, input.mode);
  const enforced = input.mode !== 'report-only';
  return {
    state,
    tier,
    admitted: refusal === undefined || !enforced,
    ...(refusal === undefined ? {} : { refusal }),
    ...(stateRule === undefined ? {} : { stateRule: stateRule.rule }),
    ...(tierRule === undefined ? {} : { tierRule: tierRule.rule }),
    reasons,
  };
}

function refusalFor(state: ApprovalState, mode: GovernanceMode): AdmissionRefusal | undefined {
  if (state === 'approved') return undefined;
  if (state === 'blocked') return 'client_blocked';
  return mode === 'allowlist' ? 'client_not_admitted' : 'client_pending';
}

function mostSpecificSafest(rules: readonly CompiledRule[]): CompiledRule | undefined {
  const [first] = rules;
  if (first === undefined) return undefined;
  const tied = rules.filter((rule) => rule.specificity.join() === first.specificity.join());
  return tied.reduce((safest, rule) =>
    CAUTION[rule.rule.state!] > CAUTION[safest.rule.state!] ? rule : safest,
  );
}

function describe(rule: GovernanceRule): string {
  return `${rule.selector} (${rule.origin === 'file' ? 'configuration file' : 'stored'})`;
}
