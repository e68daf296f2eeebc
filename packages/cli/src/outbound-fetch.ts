import { readFileSync } from 'node:fs';
import { createSafeFetch, type Resolver, type SafeFetch, systemResolver } from '@gatehouse-oauth/safe-fetch';
import { ConfigError, type GatehouseConfig, isLoopbackHost } from './config.ts';

/**
 * The one outbound fetcher of a running server (CIMD documents, jwks_uri, logos), built from the
 * `fetch` settings. The development switches (CIMD-FETCH-7) are refused at start-up unless the
 * server itself listens on loopback only, so they cannot be left on in a deployment by accident,
 * and every start that uses them says so.
 */
export function outboundFetchFromConfig(config: GatehouseConfig): { fetch: SafeFetch; warnings: string[] } {
  const settings = config.fetch;
  const devHosts = Object.entries(settings.devHosts);
  const warnings: string[] = [];
  if (settings.devLoopback) {
    if (!isLoopbackHost(config.host)) {
      throw new ConfigError(
        'fetch.dev_loopback (--dev-loopback-fetch) is for development only and is refused unless the server listens on a loopback address (CIMD-FETCH-7)',
      );
    }
    warnings.push(
      'DEVELOPMENT MODE: outbound fetches may reach this machine’s loopback interface (fetch.dev_loopback). Never use this in production.',
    );
  }
  if (devHosts.length > 0 && !settings.devLoopback) {
    throw new ConfigError('fetch.dev_hosts (--dev-host) needs fetch.dev_loopback (--dev-loopback-fetch)');
  }
  for (const [name, address] of devHosts) {
    if (!isLoopbackHost(address))
      throw new ConfigError(`fetch.dev_hosts: ${name} must map to a loopback address, not ${address}`);
  }
  if (settings.caFile !== undefined)
    warnings.push(`outbound fetches also trust the CA in ${settings.caFile}`);
  const overrides = new Map(devHosts);
  const resolver: Resolver = async (hostname) => {
    const address = overrides.get(hostname);
    if (address === undefined) return systemResolver(hostname);
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
  const fetch = createSafeFetch({
    allowLoopback: settings.devLoopback,
    deadlineMs: settings.timeoutMs,
    resolver,
    ...(settings.proxy === undefined ? {} : { proxy: settings.proxy }),
    ...(settings.caFile === undefined ? {} : { ca: readFileSync(settings.caFile, 'utf8') }),
  });
  return { fetch, warnings };
}
