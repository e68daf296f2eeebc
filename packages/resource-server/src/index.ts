export type {
  AuthenticateOptions,
  AuthenticateResult,
  AuthInfo,
  AuthInfoExtra,
  CheckScopesResult,
} from './auth-info.ts';
export type { TokenScheme } from './authorization-header.ts';
export {
  protectedResourceMetadataHandler,
  type RequestWithAuth,
  requireAccessToken,
  sendResponse,
} from './express.ts';
export {
  PROTECTED_RESOURCE_WELL_KNOWN,
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.ts';
export { createMemoryReplayGuard, type ReplayGuard } from './replay-memory.ts';
export {
  createResourceServer,
  type ResourceServer,
  type ResourceServerOptions,
} from './resource-server.ts';
export { withAccessToken } from './web.ts';
