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
  type AuthenticateOptions,
  type AuthenticateResult,
  type AuthInfo,
  type AuthInfoExtra,
  type CheckScopesResult,
  createResourceServer,
  type ResourceServer,
  type ResourceServerOptions,
} from './resource-server.ts';
export { withAccessToken } from './web.ts';
