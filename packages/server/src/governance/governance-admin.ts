/**
 * What operators do to govern clients (issue #13), once, for every surface: the CLI
 * (`gatehouse clients approve|block|unblock|pending|rules`), the admin HTTP API and the console
 * all call these operations, so each change is validated, stored, propagated to every instance
 * (a `governance` change on the client change feed) and audited with its actor and its before and
 * after in the same way.
 *
 * Each write is, in this order: stored; published as a `governance` change (every instance reloads
 * within one poll, this one at once through `reload`); for a block, every grant of each stored
 * client it selects revoked through the one client lifecycle; then audited once, with the actor,
 * the selector and the rule before and after. A call that changes nothing stores, publishes and
 * audits nothing. The audit event types (docs/governance.md, "Audit"):
 * `governance.client_approved`, `governance.client_blocked`, `governance.client_unblocked`,
 * `governance.rule_changed` (a tier set), `governance.rule_deleted`, `governance.hold_released`.
 */
import { decideAdmission, type GovernanceMode, type GovernanceRule, indexRules } from '@gatehouse-oauth/core';
import type { Audit } from '../audit/audit-trail.ts';
import type { ClientLifecycle } from '../clients/client-lifecycle.ts';
import type { GovernanceConfig } from '../config/governance-schema.ts';
import type { Store, StoredRule } from '../store/store.ts';
import { storedRuleToRule } from './client-governance.ts';
import type { BlockResult, GovernanceAdmin, ListedRule, RuleChange } from './governance-admin-contract.ts';
import {
  anything,
  checkedText,
  checkedTier,
  definedOnly,
  type RuleFields,
  requiredTier,
  ruleDetail,
  ruleInConfigurationFile,
  ruleNotFound,
  sameFields,
  selectedClients,
  type Target,
  targetOf,
} from './governance-admin-parts.ts';
import { governedClientBeforeFetch, governedClientOf } from './governed-client.ts';

// The operations' contract, as this module always exported it.
export type * from './governance-admin-contract.ts';

export interface GovernanceAdminDeps {
  store: Pick<Store, 'governance' | 'clients' | 'clientChanges'>;
  /** The one client lifecycle: a block revokes through it (reason `client_blocked`). */
  lifecycle: Pick<ClientLifecycle, 'revokeAll'>;
  audit: Audit;
  clock: () => number;
  /** The configuration file's rules (`governance.rules`): listed, never written here. */
  fileRules: GovernanceConfig['rules'];
  /** The admission mode, for `decisionFor`. */
  mode: GovernanceMode;
  /**
   * Applies a write on this instance at once (the server: its governance's `reload`); other
   * instances apply it from the change feed. A failure is ignored: the feed's reload follows.
   */
  reload?: () => Promise<void>;
}

export function createGovernanceAdmin(deps: GovernanceAdminDeps): GovernanceAdmin {
  const { store, clock } = deps;
  const governance = store.governance;
  const fileRules: ListedRule[] = deps.fileRules.map((rule) =>
    definedOnly({
      selector: targetOf(rule.selector).selector,
      state: rule.state,
      tier: rule.tier,
      origin: 'file' as const,
      owner: rule.owner,
      note: rule.note,
    }),
  );
  const fileRuleFor = (selector: string) => fileRules.find((rule) => rule.selector === selector);

  async function storedRule(selector: string): Promise<StoredRule | undefined> {
    return (await governance.listRules()).find((rule) => rule.selector === selector);
  }

  /** Stores `fields` unless the stored rule already sets exactly that; returns before and after. */
  async function write(
    current: StoredRule | undefined,
    fields: RuleFields,
    actor: string,
  ): Promise<{ before: StoredRule | undefined; after: StoredRule | undefined; changed: boolean }> {
    if (sameFields(current, fields)) return { before: current, after: current, changed: false };
    const now = clock();
    const after: StoredRule = definedOnly({
      ...fields,
      updatedBy: actor,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    });
    // What the store replaced, not what was read above: another writer may have come in between.
    const before = await governance.putRule(after);
    return { before, after, changed: true };
  }

  /** Tells every instance (this one at once) that the rules or holds changed. */
  async function propagate(about: string): Promise<void> {
    await store.clientChanges.publish({ clientId: about, kind: 'governance', at: clock() });
    if (deps.reload !== undefined) await deps.reload().catch(() => {});
  }

  function audited(
    type: string,
    target: Target,
    actor: string,
    change: { before: StoredRule | undefined; after: StoredRule | undefined },
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    return deps.audit({
      type,
      ...(target.clientId === undefined ? {} : { clientId: target.clientId }),
      actor,
      detail: {
        selector: target.selector,
        before: ruleDetail(change.before),
        after: ruleDetail(change.after),
        ...extra,
      },
    });
  }

  function changeOf(
    target: Target,
    before: StoredRule | undefined,
    after: StoredRule | undefined,
    changed: boolean,
  ): RuleChange {
    const fileRule = fileRuleFor(target.selector);
    return {
      selector: target.selector,
      before,
      after,
      changed,
      ...(fileRule === undefined ? {} : { fileRule }),
    };
  }

  async function allRules(): Promise<GovernanceRule[]> {
    const stored = await governance.listRules();
    return [
      ...fileRules.map(({ selector, state, tier, origin, note }) =>
        definedOnly({ selector, state, tier, origin, note }),
      ),
      ...stored.map(storedRuleToRule),
    ];
  }

  return {
    async approve(written, { actor, tier, owner, note }) {
      const target = targetOf(written);
      const fields = {
        tier: checkedTier(tier),
        owner: checkedText('owner', owner),
        note: checkedText('note', note),
      };
      const current = await storedRule(target.selector);
      const { before, after, changed } = await write(
        current,
        {
          selector: target.selector,
          state: 'approved',
          tier: fields.tier ?? current?.tier,
          owner: fields.owner ?? current?.owner,
          // An approval's note is kept; a block's reason is not an approval's note.
          note: fields.note ?? (current?.state === 'approved' ? current.note : undefined),
        },
        actor,
      );
      // An exact client: its hold ends and its access requests are answered.
      const released = target.clientId !== undefined && (await governance.release(target.clientId));
      // A shared registration's installations are approved with it (decision 0046).
      let cleared = 0;
      if (target.clientId !== undefined) {
        for (const { clientId } of await selectedClients(store.clients, target))
          cleared += await governance.clearAccessRequests(clientId);
      }
      if (changed || released) await propagate(target.selector);
      const anyChange = changed || released || cleared > 0;
      if (anyChange) {
        await audited(
          'governance.client_approved',
          target,
          actor,
          { before, after },
          {
            ...(released ? { hold_released: true } : {}),
            ...(cleared > 0 ? { access_requests_cleared: cleared } : {}),
          },
        );
      }
      return changeOf(target, before, after, anyChange);
    },

    async block(written, { actor, reason }) {
      const target = targetOf(written);
      const note = checkedText('reason', reason);
      const current = await storedRule(target.selector);
      const { before, after, changed } = await write(
        current,
        { selector: target.selector, state: 'blocked', tier: current?.tier, owner: current?.owner, note },
        actor,
      );
      // Every instance stops admitting the clients first, so no new grant follows the revocations.
      if (changed) await propagate(target.selector);
      const revoked: BlockResult['revoked'] = [];
      let cleared = 0;
      const totals = { grants: 0, families: 0 };
      for (const { clientId, stored } of await selectedClients(store.clients, target)) {
        const result = await deps.lifecycle.revokeAll(clientId, {
          actor,
          reason: 'client_blocked',
          detail: { selector: target.selector },
        });
        cleared += await governance.clearAccessRequests(clientId);
        totals.grants += result.grantsRevoked;
        totals.families += result.familiesRevoked;
        if (stored || anything(result)) revoked.push({ clientId, result });
      }
      const anyChange = changed || cleared > 0 || revoked.some(({ result }) => anything(result));
      if (anyChange) {
        await audited(
          'governance.client_blocked',
          target,
          actor,
          { before, after },
          {
            clients_selected: revoked.length,
            grants_revoked: totals.grants,
            families_revoked: totals.families,
            ...(cleared > 0 ? { access_requests_cleared: cleared } : {}),
          },
        );
      }
      return { ...changeOf(target, before, after, anyChange), revoked };
    },

    async unblock(written, { actor }) {
      const target = targetOf(written);
      const current = await storedRule(target.selector);
      if (current?.state !== 'blocked') {
        if (fileRuleFor(target.selector)?.state === 'blocked')
          throw ruleInConfigurationFile(target.selector, 'the block on');
        throw ruleNotFound(
          current === undefined
            ? `no stored block for ${target.selector}`
            : `the stored rule for ${target.selector} does not block (its state is ${current.state ?? 'unset'})`,
        );
      }
      // A tier the rule also places stays; a rule that only blocked goes.
      let change: { before: StoredRule | undefined; after: StoredRule | undefined };
      if (current.tier === undefined) {
        change = { before: await governance.deleteRule(target.selector), after: undefined };
      } else {
        const fields = { selector: target.selector, tier: current.tier, owner: current.owner };
        change = await write(current, fields, actor);
      }
      if (change.before === undefined) throw ruleNotFound(`no stored block for ${target.selector}`);
      await propagate(target.selector);
      await audited('governance.client_unblocked', target, actor, change);
      return changeOf(target, change.before, change.after, true);
    },

    async setTier(written, { actor, tier }) {
      const target = targetOf(written);
      const checked = requiredTier(tier);
      const current = await storedRule(target.selector);
      const { before, after, changed } = await write(
        current,
        {
          selector: target.selector,
          state: current?.state,
          tier: checked,
          owner: current?.owner,
          note: current?.note,
        },
        actor,
      );
      if (changed) {
        await propagate(target.selector);
        await audited('governance.rule_changed', target, actor, { before, after });
      }
      return changeOf(target, before, after, changed);
    },

    async deleteRule(written, { actor }) {
      const target = targetOf(written);
      const before = await governance.deleteRule(target.selector);
      if (before === undefined) {
        if (fileRuleFor(target.selector) !== undefined)
          throw ruleInConfigurationFile(target.selector, 'the rule');
        throw ruleNotFound(`no stored rule for ${target.selector}`);
      }
      await propagate(target.selector);
      await audited('governance.rule_deleted', target, actor, { before, after: undefined });
      return changeOf(target, before, undefined, true);
    },

    async release(clientId, { actor }) {
      const hold = (await governance.listHolds()).find((candidate) => candidate.clientId === clientId);
      if (!(await governance.release(clientId))) return false;
      await propagate(clientId);
      await deps.audit({
        type: 'governance.hold_released',
        clientId,
        actor,
        detail: hold === undefined ? {} : { hold_reason: hold.reason, held_at: hold.at },
      });
      return true;
    },

    async rules() {
      const stored = await governance.listRules();
      return [
        ...fileRules.map((rule) => ({ ...rule })),
        ...stored.map((rule) =>
          definedOnly<ListedRule>({
            ...storedRuleToRule(rule),
            owner: rule.owner,
            updatedBy: rule.updatedBy,
            updatedAt: rule.updatedAt,
          }),
        ),
      ];
    },

    async pending() {
      const [requests, holds] = await Promise.all([governance.listAccessRequests(), governance.listHolds()]);
      return { requests, holds };
    },

    async decisionFor(clientId) {
      const [record, rules, holds] = await Promise.all([
        store.clients.get(clientId),
        allRules(),
        governance.listHolds(),
      ]);
      const client = record === undefined ? governedClientBeforeFetch(clientId) : governedClientOf(record);
      if (client === undefined) return undefined;
      const hold = holds.find((candidate) => candidate.clientId === clientId);
      return decideAdmission({
        client,
        redirectUris: record?.metadata.redirect_uris ?? [],
        rules: indexRules(rules),
        mode: deps.mode,
        hold: hold === undefined ? undefined : { reason: hold.reason },
      });
    },
  };
}
