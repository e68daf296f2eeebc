/**
 * Parts of the operator's governance operations (governance-admin.ts): one spelling per selector,
 * the checks on what an operator types (a tier, an owner, a note), whether a write changes a rule,
 * the stored clients a selector applies to, and the refusals, each an OAuthError with a stable
 * reason (docs/errors.md, "Governance") so every surface (CLI, admin API, console) says the same.
 */
import {
  type ClientSelector,
  formatClientSelector,
  OAuthError,
  parseClientSelector,
  selectorMatches,
  TRUST_TIERS,
  type TrustTier,
} from '@gatehouse-oauth/core';
import type { CascadeResult } from '../clients/client-lifecycle.ts';
import type { ClientRecord, ClientStore, StoredRule } from '../store/store.ts';
import { governedClientOf } from './governed-client.ts';

/** A target as written, parsed and written back in its one spelling (`id:x` → `x`, `host:A.b` → `host:a.b`). */
export interface Target {
  selector: string;
  parsed: ClientSelector;
  /** The client_id when the target names exactly one client. */
  clientId: string | undefined;
}

/** Throws the `invalid_selector` OAuthError of core when `written` cannot be a selector. */
export function targetOf(written: string): Target {
  const parsed = parseClientSelector(written);
  return {
    selector: formatClientSelector(parsed),
    parsed,
    clientId: parsed.type === 'client_id' ? parsed.clientId : undefined,
  };
}

/** What a rule sets, without who wrote it when. */
export type RuleFields = Pick<StoredRule, 'selector' | 'state' | 'tier' | 'owner' | 'note'>;

export function sameFields(rule: StoredRule | undefined, fields: RuleFields): boolean {
  return (
    rule !== undefined &&
    rule.selector === fields.selector &&
    rule.state === fields.state &&
    rule.tier === fields.tier &&
    rule.owner === fields.owner &&
    rule.note === fields.note
  );
}

/** A rule without its unset members: what the audit and the JSON listings show. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

/** The audit detail's form of a rule: `null` when there is none. */
export function ruleDetail(rule: StoredRule | undefined): Record<string, unknown> | null {
  return rule === undefined ? null : definedOnly({ ...rule });
}

/** Limits of the configuration file's rules (config/governance-schema.ts), for stored ones too. */
const TEXT_LIMITS = { owner: 200, note: 500, reason: 500 } as const;

/** A tier as typed: one of TRUST_TIERS, else `invalid_rule`. */
export function checkedTier(tier: string | undefined): TrustTier | undefined {
  if (tier === undefined || (TRUST_TIERS as readonly string[]).includes(tier)) return tier as TrustTier;
  throw invalidRule(`tier must be one of ${TRUST_TIERS.join(', ')}, not ${tier.slice(0, 40)}`);
}

/** The tier `setTier` places: required. */
export function requiredTier(tier: string | undefined): TrustTier {
  const checked = checkedTier(tier);
  if (checked === undefined) throw invalidRule('a tier is needed');
  return checked;
}

/**
 * An owner, a note or a block's reason: 1 to 200 (owner) or 500 characters, no control characters
 * (they would break the CLI's one line per rule and the audit's readers).
 */
export function checkedText(name: keyof typeof TEXT_LIMITS, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const limit = TEXT_LIMITS[name];
  if (text.length === 0 || text.length > limit) throw invalidRule(`${name} must be 1 to ${limit} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalidRule(`${name} must not contain control characters`);
  return text;
}

function invalidRule(description: string): OAuthError {
  return new OAuthError('invalid_request', { reason: 'invalid_rule', description });
}

/** No stored rule (or no stored block) for the selector: 404. */
export function ruleNotFound(description: string): OAuthError {
  return new OAuthError('invalid_request', { status: 404, reason: 'rule_not_found', description });
}

/** The rule is the configuration file's: only the file changes it (409). */
export function ruleInConfigurationFile(selector: string, what: string): OAuthError {
  return new OAuthError('invalid_request', {
    status: 409,
    reason: 'rule_in_configuration_file',
    description: `${what} ${selector} comes from the configuration file (governance.rules): change it there and restart`,
  });
}

/** How many stored clients a block reads at a time. */
const PAGE = 500;

/** The stored clients a selector applies to (an exact id: that client, stored or not). */
export async function selectedClients(
  clients: Pick<ClientStore, 'get' | 'list' | 'listInstallations'>,
  target: Target,
): Promise<{ clientId: string; stored: boolean }[]> {
  if (target.clientId !== undefined) {
    const stored = (await clients.get(target.clientId)) !== undefined;
    // A rule on a shared registration governs its installations too (decision 0046).
    const installations = stored ? await clients.listInstallations(target.clientId) : [];
    return [
      { clientId: target.clientId, stored },
      ...installations.map((clientId) => ({ clientId, stored: true })),
    ];
  }
  const selected: { clientId: string; stored: boolean }[] = [];
  let after: string | undefined;
  for (;;) {
    const page: ClientRecord[] = await clients.list({
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
    });
    for (const client of page) {
      if (selectorMatches(target.parsed, governedClientOf(client)))
        selected.push({ clientId: client.clientId, stored: true });
    }
    if (page.length < PAGE) return selected;
    after = page.at(-1)!.clientId;
  }
}

/** Whether a cascade of the lifecycle changed anything. */
export function anything(result: CascadeResult): boolean {
  return result.grantsRevoked + result.familiesRevoked + result.codesDeleted + result.requestsDeleted > 0;
}
