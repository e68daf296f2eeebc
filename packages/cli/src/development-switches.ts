import { ConfigError, type GatehouseConfig, isLoopbackHost } from './config.ts';

/**
 * Settings that loosen a production rule for development (CIMD-FETCH-7 and its kin) are refused
 * at start-up unless the server itself listens on loopback only, so they cannot be left on in a
 * deployment by accident; each one in use is announced. The outbound fetcher's own switches are
 * checked where it is built (outbound-fetch.ts); this covers the rest.
 */
export function checkDevelopmentSwitches(config: GatehouseConfig): string[] {
  const warnings: string[] = [];
  if (config.registration?.devLoopbackUris === true) {
    if (!isLoopbackHost(config.host)) {
      throw new ConfigError(
        'registration.dev_loopback_uris is for development only and is refused unless the server listens on a loopback address',
      );
    }
    warnings.push(
      'DEVELOPMENT MODE: dynamic registrations may name loopback http links (registration.dev_loopback_uris). Never use this in production.',
    );
  }
  return warnings;
}
