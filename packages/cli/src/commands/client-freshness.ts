import { isOAuthError } from '@gatehouse-oauth/core';
import {
  createStandaloneDocumentFreshness,
  type DocumentFreshnessOperations,
  type EvictResult,
  type RefreshResult,
  type Store,
} from '@gatehouse-oauth/server';
import { cliActor } from '../cli-lifecycle.ts';
import { ConfigError, type GatehouseConfig, resolveIssuer } from '../config.ts';
import { outboundFetchFromConfig } from '../outbound-fetch.ts';
import { serverSettings } from '../server-options.ts';
import { UsageError } from '../usage-error.ts';

/** The `clients` actions this file answers (main.ts dispatches them here). */
export const FRESHNESS_ACTIONS: readonly string[] = ['refresh', 'evict'];

const USAGE = 'usage: gatehouse clients refresh <client_id> [--json] | clients evict <client_id> [--json]';

/**
 * `gatehouse clients refresh <client_id>` and `gatehouse clients evict <client_id>` (issue #14, item
 * 5): a document client's metadata document fetched now, or dropped, on every running instance of
 * the store the configuration names. The refresh runs the server's own resolver with this
 * configuration (its profile, `cimd` settings, governance and change policy) and the hardened
 * fetcher with the development switches, as `serve` would, so it validates, records and applies the
 * change policy exactly as an instance would; the instances take the result from the client change
 * feed within a second. Audited with the operating system user as actor. A fetch that fails changes
 * nothing and exits 1 (like lint); a refusal (not a document client, CIMD off, blocked) exits 2.
 */
export async function clientFreshnessCommand(
  store: Store,
  config: GatehouseConfig,
  args: readonly string[],
  flags: { json: boolean },
): Promise<void> {
  const [action, clientId, ...extra] = args;
  if (clientId === undefined || extra.length > 0 || !FRESHNESS_ACTIONS.includes(action ?? ''))
    throw new UsageError(USAGE);
  const documents = freshnessOf(config, store);
  try {
    if (action === 'refresh')
      return said(await documents.refresh(clientId, { actor: cliActor() }), flags.json);
    return saidEvicted(await documents.evict(clientId, { actor: cliActor() }), flags.json);
  } catch (error) {
    // The service's refusals carry what to fix in their message (docs/errors.md, "Document freshness").
    if (isOAuthError(error)) throw new UsageError(error.message);
    throw error;
  }
}

/** The server's freshness operations for this configuration, on `store`. */
function freshnessOf(config: GatehouseConfig, store: Store): DocumentFreshnessOperations {
  try {
    return createStandaloneDocumentFreshness({
      ...serverSettings(config, resolveIssuer(config, config.port)),
      store,
      outboundFetch: outboundFetchFromConfig(config).fetch,
    });
  } catch (error) {
    // A setting the profile refuses: said as a configuration error, exit 2, as `serve` does.
    throw error instanceof Error && !(error instanceof ConfigError) ? new ConfigError(error.message) : error;
  }
}

function said(result: RefreshResult, json: boolean): void {
  if (result.outcome === 'failed') process.exitCode = 1;
  const lines = json ? [JSON.stringify(result, null, 2)] : refreshLines(result);
  for (const line of lines) say(line);
}

function refreshLines(result: RefreshResult): string[] {
  const fresh = result.expiresAt === undefined ? '' : `, fresh until ${iso(result.expiresAt)}`;
  const everywhere = 'every running instance uses it within about a second';
  switch (result.outcome) {
    case 'changed':
      return [
        `refreshed ${result.clientId}: a new version ${result.digest} (was ${result.previousDigest})${fresh}`,
        everywhere,
      ];
    case 'unchanged':
      return [`refreshed ${result.clientId}: the same version ${result.digest}${fresh}`, everywhere];
    case 'discovered':
      return [`refreshed ${result.clientId}: its first version ${result.digest}${fresh}`];
    case 'failed':
      return [
        `${result.clientId} was not refreshed: ${result.reason}${result.description ? `: ${result.description}` : ''}`,
        ...(result.staleUntil === undefined
          ? []
          : [`the last good version keeps serving until ${iso(result.staleUntil)} (stale-if-error)`]),
        'nothing changed',
      ];
  }
}

function saidEvicted(result: EvictResult, json: boolean): void {
  say(
    json
      ? JSON.stringify(result, null, 2)
      : `evicted ${result.clientId}${result.digest === undefined ? '' : ` (version ${result.digest})`}: ` +
          'every running instance fetches it at its next use, within about a second; nothing else of the client changed',
  );
}

const iso = (time: number) => new Date(time).toISOString();

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
