/**
 * Rules indexed by what they select, so that deciding for one client costs a few map reads, not a
 * scan of every rule: an operator with a thousand rules must not slow every authorization request
 * (issue #13 measures approval mode with 1,000 rules against open mode in `npm run bench`).
 */
import type { GovernedClient } from './client-selector-match.ts';
import { compareSpecificity, selectorMatches } from './client-selector-match.ts';
import { type CompiledRule, compileRules, type GovernanceRule } from './governance-rule.ts';

export interface RuleIndex {
  /** Every rule that applies to the client, most specific first (ties: as given). */
  matching(client: GovernedClient): CompiledRule[];
  readonly size: number;
}

export function indexRules(rules: readonly GovernanceRule[]): RuleIndex {
  const byKey = new Map<string, CompiledRule[]>();
  const patternsByOrigin = new Map<string, CompiledRule[]>();
  const add = (map: Map<string, CompiledRule[]>, key: string, rule: CompiledRule) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [rule]);
    else list.push(rule);
  };
  for (const compiled of compileRules(rules)) {
    const { selector } = compiled;
    switch (selector.type) {
      case 'client_id':
        add(byKey, `id ${selector.clientId}`, compiled);
        break;
      case 'url_pattern':
        add(patternsByOrigin, selector.origin, compiled);
        break;
      case 'host':
        add(byKey, `host ${selector.host}`, compiled);
        break;
      case 'domain':
        add(byKey, `domain ${selector.domain}`, compiled);
        break;
      case 'software':
        add(byKey, `software ${selector.softwareId}`, compiled);
        break;
      case 'redirect_host':
        add(byKey, `redirect-host ${selector.host}`, compiled);
        break;
      case 'kind':
        add(byKey, `kind ${selector.kind}`, compiled);
        break;
    }
  }

  return {
    size: rules.length,
    matching(client) {
      const keys = [`id ${client.clientId}`, `kind ${client.kind}`];
      if (client.sharedClientId !== undefined) keys.push(`id ${client.sharedClientId}`);
      if (client.softwareId !== undefined) keys.push(`software ${client.softwareId}`);
      for (const host of client.redirectHosts ?? []) keys.push(`redirect-host ${host}`);
      const candidates: CompiledRule[] = [];
      if (client.host !== undefined) {
        keys.push(`host ${client.host}`);
        // domain:a.b.c, domain:b.c and domain:c all contain host a.b.c.
        const labels = client.host.split('.');
        for (let index = 0; index < labels.length; index++)
          keys.push(`domain ${labels.slice(index).join('.')}`);
        const origin = /^https:\/\/[^/?#]+/.exec(client.clientId)?.[0];
        for (const rule of (origin === undefined ? undefined : patternsByOrigin.get(origin)) ?? []) {
          if (selectorMatches(rule.selector, client)) candidates.push(rule);
        }
      }
      for (const key of keys) candidates.push(...(byKey.get(key) ?? []));
      // Stable: equally specific rules keep the order they were given in.
      return candidates.length < 2
        ? candidates
        : candidates.sort((a, b) => compareSpecificity(b.specificity, a.specificity));
    },
  };
}
