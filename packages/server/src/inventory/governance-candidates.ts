/**
 * Which stored clients may be in an approval state or a trust tier, from the rules alone (issue
 * #14): the SQL narrowing of an inventory filter on `state` or `tier`, before the admission
 * decision (governance-decided in memory, as the server decides on every request) says exactly.
 *
 * A client's state is a blocking rule's, or a hold's (pending), or the most specific state rule's,
 * or the mode's when no rule decides; its tier is the most specific tier rule's, or the default of
 * its kind and redirects (core: decideAdmission, defaultTrustTier). So a client can be in a state
 * other than the mode's only if a rule setting that state selects it (or a hold, for pending), and
 * in a tier only if a rule places it there or its default is that tier. Each rule's selector maps
 * to what the client index can look up; a broader lookup is fine (the decision refines it), a
 * narrower one would lose clients, so every mapping errs wide: a URL pattern and `host:` look up
 * the host as a domain, which also finds its subdomains and registered clients redirecting there.
 */
import {
  type ApprovalState,
  type ClientSelector,
  type GovernanceMode,
  type GovernanceRule,
  parseClientSelector,
  type TrustTier,
} from '@gatehouse-oauth/core';
import type { ClientHold, ClientKind, InventoryCandidates } from '../store/store.ts';

/** The default tier's kinds (or index term) by tier; `local` also takes the loopback client. */
const TIER_DEFAULTS: Record<TrustTier, Pick<InventoryCandidates, 'kinds' | 'terms'>> = {
  trusted: { kinds: ['static'], terms: [] },
  'verified-domain': { kinds: ['cimd'], terms: [] },
  'self-asserted': { kinds: ['dcr'], terms: [] },
  local: { kinds: [], terms: [['local_only', '1']] },
};

/** What a client gets when no rule decides its state (core/governance/admission-decision.ts). */
export function defaultState(mode: GovernanceMode): ApprovalState {
  return mode === 'open' ? 'approved' : 'pending';
}

export function stateCandidates(
  state: ApprovalState,
  rules: readonly GovernanceRule[],
  holds: ReadonlyMap<string, ClientHold>,
  mode: GovernanceMode,
): InventoryCandidates {
  if (state === defaultState(mode)) return { all: true, clientIds: [], kinds: [], terms: [] };
  const candidates = union(rules.filter((rule) => rule.state === state).map((rule) => rule.selector));
  return state === 'pending'
    ? { ...candidates, clientIds: [...candidates.clientIds, ...holds.keys()] }
    : candidates;
}

export function tierCandidates(tier: TrustTier, rules: readonly GovernanceRule[]): InventoryCandidates {
  const placed = union(rules.filter((rule) => rule.tier === tier).map((rule) => rule.selector));
  const byDefault = TIER_DEFAULTS[tier];
  return {
    ...placed,
    kinds: [...placed.kinds, ...byDefault.kinds],
    terms: [...placed.terms, ...byDefault.terms],
  };
}

/** The clients any of `selectors` may select, as one OR-group. */
function union(selectors: readonly string[]): InventoryCandidates {
  const group: { clientIds: string[]; kinds: ClientKind[]; terms: InventoryCandidates['terms'][number][] } = {
    clientIds: [],
    kinds: [],
    terms: [],
  };
  for (const selector of selectors) {
    const parsed = parseClientSelector(selector);
    const term = lookupOf(parsed);
    if (parsed.type === 'client_id') {
      group.clientIds.push(parsed.clientId);
      // A rule on a shared registration selects its installations too (decision 0046).
      group.terms.push(['shared_registration', parsed.clientId]);
    } else if (parsed.type === 'kind') {
      // `kind:loopback` selects no stored client: the loopback client is never stored.
      if (parsed.kind !== 'loopback') group.kinds.push(parsed.kind);
    } else if (term !== undefined) group.terms.push(term);
  }
  return { all: false, ...group };
}

function lookupOf(selector: ClientSelector): InventoryCandidates['terms'][number] | undefined {
  switch (selector.type) {
    case 'url_pattern':
      return ['domain', new URL(selector.origin).hostname];
    case 'host':
      return ['domain', selector.host];
    case 'domain':
      return ['domain', selector.domain];
    case 'software':
      return ['software_id', selector.softwareId];
    case 'redirect_host':
      return ['redirect_host', selector.host];
    default:
      return undefined;
  }
}
