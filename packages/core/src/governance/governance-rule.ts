/**
 * A governance rule: a selector (client-selector.ts) and what the operator decided for the clients
 * it selects — an approval state, a trust tier, or both. Rules come from the configuration file
 * (`governance.rules`) and from the CLI, admin API and console (stored); both kinds apply together,
 * each marked with its origin, and the most specific selector decides (client-selector-match.ts).
 */
import { type ClientSelector, parseClientSelector } from './client-selector.ts';
import { selectorSpecificity } from './client-selector-match.ts';
import type { TrustTier } from './trust-tier.ts';

export const APPROVAL_STATES = ['approved', 'pending', 'blocked'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export interface GovernanceRule {
  /** As written: `https://…`, `host:…`, `domain:…`, `software:…`, `redirect-host:…`, `kind:…`. */
  selector: string;
  state?: ApprovalState | undefined;
  tier?: TrustTier | undefined;
  origin: 'file' | 'stored';
  /** Why (a block's reason, an approval's note): shown in the console and the audit. */
  note?: string | undefined;
}

export interface CompiledRule {
  rule: GovernanceRule;
  selector: ClientSelector;
  specificity: readonly number[];
}

/** Parses every selector once (throws `invalid_selector` on the first bad one). */
export function compileRules(rules: readonly GovernanceRule[]): CompiledRule[] {
  return rules.map((rule) => {
    const selector = parseClientSelector(rule.selector);
    return { rule, selector, specificity: selectorSpecificity(selector) };
  });
}
