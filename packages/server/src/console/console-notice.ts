import { html } from 'hono/html';
import { messagesFor } from '../messages/catalogue.ts';

const M = messagesFor().console;

/**
 * The notice after an action (console-actions.ts redirects with `done`, `target` and counts): only
 * known notices are shown, with the target as text, so a crafted link can show no message of its own.
 */
export function noticeOf(url: URL) {
  const target = url.searchParams.get('target') ?? '';
  const count = (name: string) => Number.parseInt(url.searchParams.get(name) ?? '0', 10) || 0;
  const text = (() => {
    switch (url.searchParams.get('done')) {
      case 'approved':
        return M.done.approved(target);
      case 'blocked':
        return M.done.blocked(target, count('revoked'));
      case 'unblocked':
        return M.done.unblocked(target);
      case 'ownerSaved':
        return M.done.ownerSaved;
      case 'userChanged':
        return M.done.userChanged(target);
      case 'connectionRevoked':
        return M.done.connectionRevoked(target);
      case 'tierSet':
        return M.done.tierSet(target);
      case 'ruleDeleted':
        return M.done.ruleDeleted(target);
      case 'revoked':
        return M.revoke.done(count('grants'), count('families'));
      default:
        return undefined;
    }
  })();
  return text === undefined ? '' : html`<p class="notice" role="status">${text}</p>`;
}
