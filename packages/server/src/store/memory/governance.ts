import type { GovernanceStore } from '../governance-store.ts';
import { compare, copy, copyOf, type MemoryState } from './state.ts';

export function memoryGovernanceStore({ governance }: MemoryState): GovernanceStore {
  const { rules, holds, accessRequests } = governance;
  const requestKey = (clientId: string, userId: string) => JSON.stringify([clientId, userId]);
  return {
    async listRules() {
      return [...rules.values()].sort((a, b) => compare(a.selector, b.selector)).map(copy);
    },
    async putRule(rule) {
      const before = copyOf(rules.get(rule.selector));
      rules.set(rule.selector, copy(rule));
      return before;
    },
    async deleteRule(selector) {
      const before = copyOf(rules.get(selector));
      rules.delete(selector);
      return before;
    },
    async listHolds() {
      return [...holds.values()].sort((a, b) => compare(a.clientId, b.clientId)).map(copy);
    },
    async hold(hold) {
      holds.set(hold.clientId, copy(hold));
    },
    async release(clientId) {
      return holds.delete(clientId);
    },
    async recordAccessRequest({ clientId, userId, clientName, at }) {
      const key = requestKey(clientId, userId);
      const request = accessRequests.get(key);
      if (request === undefined) {
        accessRequests.set(key, {
          clientId,
          userId,
          ...(clientName === undefined ? {} : { clientName }),
          firstAt: at,
          lastAt: at,
          attempts: 1,
        });
        return;
      }
      request.attempts += 1;
      request.lastAt = Math.max(request.lastAt, at);
      if (clientName !== undefined) request.clientName = clientName;
    },
    async listAccessRequests(options = {}) {
      return [...accessRequests.values()]
        .filter((request) => options.clientId === undefined || request.clientId === options.clientId)
        .sort((a, b) => b.lastAt - a.lastAt)
        .slice(0, options.limit ?? Number.POSITIVE_INFINITY)
        .map(copy);
    },
    async clearAccessRequests(clientId) {
      let cleared = 0;
      for (const [key, request] of accessRequests) {
        if (request.clientId !== clientId) continue;
        accessRequests.delete(key);
        cleared++;
      }
      return cleared;
    },
  };
}
