/**
 * The admin surface (decision 0025, decision 0032): its tokens, its routes on the main handler
 * below the issuer's path (unless `admin.mainHandler` is off), and the same routes at the root of
 * a handler of its own, `server.admin.fetch`, for a listener the operator keeps apart (the CLI's
 * `admin.listen`), like `server.operations.fetch` for /metrics. Both count and log each request
 * the way the main handler does.
 */
import type { Logger } from 'pino';
import type { AuditQuery } from '../audit/audit-query.ts';
import type { Audit } from '../audit/audit-trail.ts';
import type { DocumentFreshnessOperations } from '../cimd/document-freshness.ts';
import type { DocumentHistoryReader } from '../cimd/document-history.ts';
import type { ClientLifecycle } from '../clients/client-lifecycle.ts';
import type { ServerConfig } from '../config/server-config-schema.ts';
import type { ConsoleDeps } from '../console/console-call.ts';
import { mountConsoleRoutes } from '../console/console-routes.ts';
import type { GovernanceAdmin } from '../governance/governance-admin.ts';
import { answerUnmatched, createServerApp, type ServerApp } from '../http/server-app.ts';
import type { ClientInventory } from '../inventory/client-inventory.ts';
import type { ServerMetrics } from '../metrics.ts';
import { observeRequests } from '../operations/operations-routes.ts';
import type { AdminTokenStore } from '../store/store.ts';
import type { UserAdmin } from '../users/user-admin.ts';
import { mountAdminRoutes } from './admin-routes.ts';
import { type AdminTokens, createAdminTokens } from './admin-tokens.ts';

export interface AdminSurface {
  /**
   * The admin API at the root (`/admin/v1/…`, `/admin/openapi.json`) for a listener of its own;
   * 404 for every other path, and for every path when `admin.enabled` is off. Tokens are asked for
   * here as everywhere.
   */
  fetch(request: Request): Promise<Response>;
  /** Issue, list, revoke and verify admin API tokens: what `gatehouse admin-tokens` does. */
  readonly tokens: AdminTokens;
}

export interface AdminSurfaceDeps {
  /** The main handler's router, which the routes are mounted on when configured so. */
  app: ServerApp;
  basePath: string;
  settings: ServerConfig['admin'];
  governance: GovernanceAdmin;
  clients: ClientLifecycle;
  /** The client inventory (issue #14): its operations are below /admin/v1/clients too. */
  inventory: ClientInventory;
  store: AdminTokenStore;
  audit: Audit;
  clock: () => number;
  logger: Logger;
  metrics: ServerMetrics;
  /** The audit log as the operator reads it (issue #14, item 6). */
  auditLog: AuditQuery;
  history: DocumentHistoryReader;
  documents: DocumentFreshnessOperations;
  /** Local accounts (issue #15): listed and changed by the admin API and the console. */
  users: UserAdmin;
  /**
   * The admin console's own needs (issue #15, decision 0040): mounted beside the API, at `/admin`,
   * when `admin.console` is on.
   */
  console?: Omit<
    ConsoleDeps,
    'governance' | 'inventory' | 'history' | 'auditLog' | 'userAdmin' | 'audit' | 'clock' | 'logger'
  >;
}

export function createAdminSurface(deps: AdminSurfaceDeps): AdminSurface {
  const { settings, logger } = deps;
  const tokens = createAdminTokens({ store: deps.store, audit: deps.audit, clock: deps.clock });
  const routes = {
    governance: deps.governance,
    clients: deps.clients,
    tokens,
    logger,
    auditLog: deps.auditLog,
    history: deps.history,
    documents: deps.documents,
    inventory: deps.inventory,
    users: deps.users,
  };
  const consoleDeps: ConsoleDeps | undefined =
    deps.console === undefined || !settings.console
      ? undefined
      : {
          ...deps.console,
          governance: deps.governance,
          inventory: deps.inventory,
          history: deps.history,
          auditLog: deps.auditLog,
          userAdmin: deps.users,
          audit: deps.audit,
          clock: deps.clock,
          logger,
        };
  if (settings.enabled && settings.mainHandler) {
    mountAdminRoutes(deps.app, routes, deps.basePath);
    if (consoleDeps !== undefined) mountConsoleRoutes(deps.app, consoleDeps, deps.basePath);
  }
  const own = createServerApp();
  observeRequests(own, { logger, metrics: deps.metrics, basePath: '' });
  if (settings.enabled) {
    mountAdminRoutes(own, routes, '');
    if (consoleDeps !== undefined) mountConsoleRoutes(own, consoleDeps, '');
  }
  answerUnmatched(own, logger);
  return {
    fetch: async (request) => own.fetch(request, {}),
    tokens,
  };
}
