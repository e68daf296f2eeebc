import type { AuthorizationServerOptions, ServerDependencies } from '../options.ts';
import { profileNamed } from '../profiles/profile-registry.ts';
import { ConfigurationError, problemsOf } from './configuration-error.ts';
import { type ServerConfig, type ServerConfigInput, serverConfigSchema } from './server-config-schema.ts';

/** The options the server reads: every setting with its default, and the injected dependencies. */
export type ResolvedServerOptions = ServerConfig & ServerDependencies;

/**
 * Validates what an embedder passed and applies the defaults, in this order: explicit settings,
 * then the profile's defaults (a profile also refuses what contradicts its MUSTs), then the
 * schema's. The embedder's own values are checked first, so a wrong one is named by the key the
 * embedder wrote, before a profile reads it.
 */
export function resolveServerOptions(given: AuthorizationServerOptions): ResolvedServerOptions {
  const { config, dependencies } = split(given);
  parseConfig(config);
  const profiled = profileNamed(given.profile).applyDefaults(given);
  return { ...parseConfig(split(profiled).config), ...dependencies };
}

/** The settings with their defaults; throws a ConfigurationError naming every wrong key path. */
export function parseConfig(config: ServerConfigInput): ServerConfig {
  const result = serverConfigSchema.safeParse(config, { reportInput: true });
  if (!result.success) throw new ConfigurationError(problemsOf(result.error));
  return result.data;
}

/**
 * What is injected rather than configured: never parsed by the schema. Written once; the check
 * below fails to compile when ServerDependencies gains a member this list lacks.
 */
const DEPENDENCY_KEYS = [
  'store',
  'logger',
  'clock',
  'outboundFetch',
  'fetchJwks',
  'subject',
  'clientResolverDecorators',
  'authenticateUser',
  'auditSink',
  'renderConsent',
  'resolveLexicon',
  'resolveTxt',
] as const satisfies readonly (keyof ServerDependencies)[];
const everyDependencyListed: Exclude<keyof ServerDependencies, (typeof DEPENDENCY_KEYS)[number]> extends never
  ? true
  : never = true;
void everyDependencyListed;

function split(options: AuthorizationServerOptions): {
  config: ServerConfigInput;
  dependencies: ServerDependencies;
} {
  const config: Record<string, unknown> = {};
  const dependencies: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!(DEPENDENCY_KEYS as readonly string[]).includes(key)) config[key] = value;
    else if (value !== undefined) dependencies[key] = value;
  }
  return { config: config as ServerConfigInput, dependencies: dependencies as unknown as ServerDependencies };
}
