/**
 * The trust tier of a client on this request, and what its policy allows (issue #13,
 * `governance.tiers`; core/governance/trust-tier.ts): which resources it may get tokens for, the
 * scope ceiling, token lifetimes, refresh, DPoP and how consent is remembered. Evaluated on every
 * request from the governance snapshot in force, cached client documents included, so a rule that
 * moves a client to another tier applies from the next request on, to its existing sessions too.
 *
 * Cheap by design: the admission decorator (admission.ts) has already decided on the very client
 * record the endpoint holds, and remembers that decision here; this reads it back instead of
 * deciding again. A record no admission saw (or one decided under an older snapshot) is decided
 * once and remembered the same way.
 */
import {
  type AdmissionDecision,
  canonicalResource,
  effectiveScopeCeiling,
  OAuthError,
  type TrustTier,
} from '@gatehouse-oauth/core';
import type { TierPolicy } from '../config/governance-schema.ts';
import type { ResourceCatalog } from '../context.ts';
import type { ScopeRules } from '../profiles/profile.ts';
import type { ClientRecord } from '../store/store.ts';
import type { ClientGovernance } from './client-governance.ts';

export interface ClientTier {
  tier: TrustTier;
  policy: TierPolicy;
  /**
   * The effective scope ceiling: the tier's `scopes` ∩ a per-client ceiling (none yet) ∩ the
   * client's own registered `scope` when that is a limit (documentScopeLimits). A document can
   * narrow what the operator allows, never widen it. Undefined: no level sets a limit, only what
   * the resources offer.
   */
  scopeCeiling: ReadonlySet<string> | undefined;
  /**
   * The same ceiling as its levels (the tier's `scopes`, the client's own `scope` when a limit),
   * each of which must cover a scope (`withinScopeCeiling`): with scope rules beyond plain strings
   * (AT-16, `repo:*` covering `repo:app.bsky.feed.post`), two levels cannot be intersected as sets.
   */
  scopeLevels: readonly (readonly string[])[];
  /** The configured spellings of the resources the tier allows; undefined: every configured one. */
  resources: ReadonlySet<string> | undefined;
}

export interface TierDeps {
  governance: Pick<ClientGovernance, 'current' | 'tierPolicy'>;
  resources: ResourceCatalog;
}

/**
 * The admission decision for this record under the snapshot in force. The snapshot decides a record
 * once and keeps the answer (client-governance.ts), so the admission decorator's decision is the
 * one read here: nobody decides twice.
 */
export async function decisionOf(
  deps: { governance: Pick<ClientGovernance, 'current'> },
  client: ClientRecord,
): Promise<AdmissionDecision> {
  return (await deps.governance.current()).decide(client);
}

/**
 * The tier of `client` and what it allows. `decision`: one the caller already holds for this
 * request (then nothing is read at all).
 */
export async function tierPolicyOf(
  deps: TierDeps,
  client: ClientRecord,
  decision?: AdmissionDecision,
): Promise<ClientTier> {
  const tier = (decision ?? (await decisionOf(deps, client))).tier;
  const policy = deps.governance.tierPolicy(tier);
  const levels = [
    policy.scopes,
    // The per-client level: no stored ceiling for one client exists yet (a rule may only place a
    // client in a tier); when it does, it goes here.
    undefined,
    documentScopeLimits(deps.resources, client) ? scopeTokens(client.metadata.scope) : undefined,
  ];
  return {
    tier,
    policy,
    scopeCeiling: effectiveScopeCeiling(...levels),
    scopeLevels: levels.filter((level) => level !== undefined),
    resources: allowedResources(deps.resources, policy),
  };
}

/**
 * Whether `scope` lies within the client's scope ceiling: every level covers it, by the profile's
 * scope rules (profiles/profile.ts `scopeRules`) or, without them, by listing it.
 */
export function withinScopeCeiling(
  tier: Pick<ClientTier, 'scopeLevels'>,
  scope: string,
  rules: ScopeRules | undefined,
): boolean {
  return tier.scopeLevels.every((level) =>
    rules === undefined ? level.includes(scope) : rules.covers(level, scope),
  );
}

/**
 * Whether the client's own registered `scope` is a ceiling. Always for static and CIMD clients (the
 * operator or the document's author chose it) and for registrations an initial access token or a
 * software statement vouched for; for open registrations only when `selfRegisteredScopeIsLimit`
 * (the MCP profile turns it off: SDKs register the scope of their first request, MCP-16).
 */
function documentScopeLimits(catalog: ResourceCatalog, client: ClientRecord): boolean {
  if (client.metadata.scope === undefined) return false;
  if (catalog.selfRegisteredScopeIsLimit !== false || client.kind !== 'dcr') return true;
  const registration = client.registration;
  return registration?.initialAccessTokenId !== undefined || registration?.softwareStatement !== undefined;
}

function scopeTokens(scope: string | undefined): string[] | undefined {
  return scope?.split(' ').filter((token) => token !== '');
}

/**
 * The ceiling as one list, for showing it (client previews): each level's scopes that every level
 * covers, the last level's first. With listing as the rule this is the levels' intersection; with
 * a profile's rules, `repo:*` in a tier and `repo:app.bsky.feed.post` in the document show as the
 * latter. Undefined when no level sets a limit.
 */
export function scopeCeilingOf(
  levels: readonly (readonly string[] | undefined)[],
  rules: ScopeRules | undefined,
): string[] | undefined {
  const set = levels.filter((level) => level !== undefined);
  if (set.length === 0) return undefined;
  const tier = { scopeLevels: set };
  return [
    ...new Set(
      set.toReversed().flatMap((level) => level.filter((scope) => withinScopeCeiling(tier, scope, rules))),
    ),
  ];
}

/** Tier resource lists matched as RFC 8707 resources are (core/resource-indicator.ts), per policy. */
const resourceSets = new WeakMap<TierPolicy, { catalog: ResourceCatalog; set: ReadonlySet<string> }>();

function allowedResources(catalog: ResourceCatalog, policy: TierPolicy): ReadonlySet<string> | undefined {
  if (policy.resources === undefined) return undefined;
  const known = resourceSets.get(policy);
  if (known !== undefined && known.catalog === catalog) return known.set;
  const set = new Set(policy.resources.map((uri) => catalog.known.get(canonicalResource(uri) ?? '') ?? uri));
  resourceSets.set(policy, { catalog, set });
  return set;
}

/**
 * RFC 8707 §2: a resource the tier does not list is refused as `invalid_target` (MCP-9), at the
 * authorization endpoint and PAR (`redirectable` there) as at the token endpoint.
 */
export function requireTierResources(
  tier: Pick<ClientTier, 'tier' | 'resources'>,
  resources: readonly string[],
  redirectable: boolean,
): void {
  const allowed = tier.resources;
  if (allowed === undefined) return;
  const refused = resources.filter((uri) => !allowed.has(uri));
  if (refused.length === 0) return;
  throw new OAuthError('invalid_target', {
    reason: 'resource_not_allowed_for_tier',
    description: `clients of the ${tier.tier} tier may not get tokens for ${refused.slice(0, 3).join(' ')}`,
    redirectable,
  });
}

/**
 * The tier in words, for the user at the consent page (ConsentPageModel.tier): what the server
 * knows about who is asking, never more than it verified (CIMD-UI-2, CIMD-UI-4; for `local`,
 * CIMD-UI-3 / MCP-15 on localhost redirects).
 */
export const TIER_STATEMENTS: Readonly<Record<TrustTier, string>> = {
  trusted: "This application was registered or approved by this server's administrator.",
  'verified-domain':
    'This application is identified by its web address, which this server checked; what it says about itself is its own claim.',
  'self-asserted':
    'This application registered itself with this server; nothing it says about itself has been checked.',
  local: 'This application runs on your own device; any program there could be asking.',
};
