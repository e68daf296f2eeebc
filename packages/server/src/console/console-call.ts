/** What the console's pages and actions are given (console-routes.ts builds it; issue #15). */
import type { Logger } from 'pino';
import type { AuditQuery } from '../audit/audit-query.ts';
import type { Audit } from '../audit/audit-trail.ts';
import type { DocumentHistoryReader } from '../cimd/document-history.ts';
import type { GovernanceAdmin } from '../governance/governance-admin.ts';
import type { ClientInventory } from '../inventory/client-inventory.ts';
import type { ServerSecretStore, SessionStore, UserStore } from '../store/store.ts';
import type { LoginThrottle } from '../users/login-throttle.ts';
import type { UserAdmin } from '../users/user-admin.ts';
import type { PageFrame } from './console-layout.ts';
import type { ConsoleSignIn } from './console-session.ts';

export interface ConsoleDeps {
  serviceName: string;
  /** The configured brand colour (`theme.primary_color`, `#rrggbb`): the stylesheet's `--primary`. */
  primaryColor?: string | undefined;
  secureCookies: boolean;
  /** Origins besides the request's own that serve the console (the issuer's), for the Origin check. */
  origins: readonly string[];
  users: Pick<UserStore, 'get' | 'findByUsername'>;
  sessions: SessionStore;
  secrets: ServerSecretStore;
  loginThrottle: LoginThrottle;
  audit: Audit;
  clock: () => number;
  logger: Logger;
  governance: GovernanceAdmin;
  inventory: ClientInventory;
  history: DocumentHistoryReader;
  auditLog: AuditQuery;
  /** Local accounts: the service PATCH /admin/v1/users/{user} calls. */
  userAdmin: UserAdmin;
  idleSeconds: number;
  absoluteSeconds: number;
}

/** A signed-in request: the frame its page is drawn in, the form it sent, who makes it. */
export interface ConsoleCall {
  request: Request;
  url: URL;
  frame: PageFrame;
  signIn: ConsoleSignIn;
  /** `console:<user name>`, the audit actor of whatever the call changes. */
  actor: string;
  form: ReadonlyMap<string, string>;
}

export type ConsolePage = (call: ConsoleCall) => Promise<Response>;
