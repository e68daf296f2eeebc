export { adminOpenApiDocument } from './admin/admin-openapi.ts';
export type { AdminSurface } from './admin/admin-surface.ts';
export {
  ADMIN_TOKEN_PREFIX,
  type AdminTokens,
  type AdminTokenView,
  createAdminTokens,
  type IssueAdminToken,
} from './admin/admin-tokens.ts';
export { adminTokenJson } from './admin/admin-views.ts';
export * from './audit/audit-query.ts';
export * from './audit/audit-retention.ts';
export type { AuditSink } from './audit/audit-trail.ts';
export { type AuthorizationServer, createAuthorizationServer } from './authorization-server.ts';
export type { RevalidationPass } from './cimd/background-revalidation.ts';
export type {
  DocumentFreshnessOperations,
  EvictResult,
  RefreshOutcome,
  RefreshResult,
} from './cimd/document-freshness.ts';
export {
  createDocumentHistory,
  type DocumentHistory,
  type DocumentHistoryReader,
  type HistoryPage,
  type NumberedVersion,
  type VersionDiff,
} from './cimd/document-history.ts';
export { createStandaloneDocumentFreshness } from './cimd/standalone-document-freshness.ts';
export type { ClientKeyRecheckResult } from './clients/client-key-recheck.ts';
export {
  type CascadeResult,
  type ClientLifecycle,
  type ClientLifecycleDeps,
  createClientLifecycle,
  type LifecycleAction,
  type RemovalReason,
  type RemovalResult,
  type RevocationReason,
} from './clients/client-lifecycle.ts';
export {
  type ClientResolver,
  type ClientResolverDecorator,
  chainClientResolvers,
  storedClientResolver,
} from './clients/client-resolver.ts';
export { prepareStaticClient, type StaticClientInput } from './clients/static-client.ts';
export { adminSchema } from './config/admin-schema.ts';
export { atprotoSchema } from './config/atproto-schema.ts';
export { cimdSchema } from './config/cimd-schema.ts';
export {
  ConfigurationError,
  type ConfigurationProblem,
  pathText,
  problemsOf,
} from './config/configuration-error.ts';
export { dpopSchema } from './config/dpop-schema.ts';
export { introspectionSchema } from './config/introspection-schema.ts';
export { lifetimesSchema } from './config/lifetimes-schema.ts';
export { loginSchema } from './config/login-schema.ts';
export { operationsSchema } from './config/operations-schema.ts';
export { parSchema } from './config/par-schema.ts';
export {
  rateLimitSchema,
  registrationRateLimitsSchema,
  registrationSchema,
  softwareStatementIssuerSchema,
} from './config/registration-schema.ts';
export { parseConfig } from './config/resolve-options.ts';
export { resourceSchema } from './config/resource-schema.ts';
export {
  type ServerConfig,
  type ServerConfigInput,
  serverConfigSchema,
} from './config/server-config-schema.ts';
export { digest, randomToken } from './crypto/digest.ts';
export {
  type ClientPreview,
  type ClientPreviewContext,
  clientIdFindings,
  createClientPreviewContext,
  previewClient,
} from './governance/client-preview.ts';
export {
  type BlockResult,
  createGovernanceAdmin,
  type GovernanceActor,
  type GovernanceAdmin,
  type GovernanceAdminDeps,
  type ListedRule,
  type RuleChange,
} from './governance/governance-admin.ts';
export {
  type PreRegistration,
  type PreRegistrationDeps,
  type PreRegistrationResult,
  preRegisterCimdClient,
} from './governance/pre-registration.ts';
// The stores outside this package count installations as the ones in it do (decision 0044).
export {
  type GrantInstallation,
  installationCount,
  installationKeyOf,
  installationsOf,
  type RedirectMachines,
  redirectSharedByMachines,
} from './grants/installation.ts';
export { requestIdLogOptions } from './http/request-id.ts';
export {
  type BlastRadius,
  type ClientInventory,
  type ClientInventoryDeps,
  createClientInventory,
  type InventoryDetail,
  type InventoryPage,
  type OperatorFieldsResult,
  type ReachTarget,
  type RevokedReach,
  SCAN_BUDGET,
} from './inventory/client-inventory.ts';
export type { ClientConnections, ConnectionsOf, ConnectionView } from './inventory/connections.ts';
export { type InventoryEntry, LOOPBACK_ENTRY_ID } from './inventory/inventory-entry.ts';
export { createClientInventoryFor } from './inventory/inventory-for-options.ts';
export { DEFAULT_PAGE, type InventoryFilter, MAX_PAGE } from './inventory/inventory-query.ts';
export type { OperatorFieldsChange } from './inventory/operator-fields.ts';
export { ensureSigningKey, generateSigningKey, rotateSigningKey } from './keys/signing-keys.ts';
export {
  createLexiconResolver,
  type LexiconResolver,
  type LexiconResolverOptions,
  type TxtLookup,
} from './lexicon/lexicon-resolver.ts';
export { createLogger, silentLogger } from './logger.ts';
export type { OperationsHandlers } from './operations/operations-endpoints.ts';
export {
  type AdminOptions,
  type AtprotoOptions,
  type AuthorizationServerOptions,
  type CimdOptions,
  type DpopOptions,
  defaultLifetimes,
  type Lifetimes,
  type OperationsOptions,
  type ParOptions,
  type RateLimitOptions,
  type RegistrationOptions,
  type RegistrationRateLimits,
  type ResourceOptions,
  type ServerDependencies,
  type SoftwareStatementIssuer,
  type SubjectSupplier,
} from './options.ts';
// Extension points (docs/extension-points.md): what a custom consent page or login receives.
export { type ConsentPageModel, type ConsentRenderer, consentPage } from './pages/consent-page.ts';
export { PAGE_HEADERS } from './pages/layout.ts';
export { atprotoProfileDefaults, withAtprotoProfile } from './profiles/atproto-profile.ts';
export * from './registration/reaper.ts';
export { sourceKey } from './registration/source-key.ts';
export * from './store/index.ts';
export { hashPassword, verifyPassword } from './users/password.ts';
export { subjectProblem } from './users/subject.ts';
// Operators' changes to local accounts, shared by the CLI, the admin API and the console (issue #15).
export { createUserAdmin, type UserAdmin, type UserChange } from './users/user-admin.ts';
export {
  type AuthenticatedUser,
  localPasswordAuthentication,
  type UserAuthenticator,
} from './users/user-authentication.ts';
