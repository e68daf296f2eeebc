import { type Finding, TRUST_TIERS, type TrustTier } from '@gatehouse-oauth/core';
import type { SafeFetch } from '@gatehouse-oauth/safe-fetch';
import {
  type ClientPreview,
  type ClientPreviewContext,
  clientIdFindings,
  createClientPreviewContext,
  createMemoryStore,
  preRegisterCimdClient,
  previewClient,
  type Store,
} from '@gatehouse-oauth/server';
import { cliActor } from '../cli-lifecycle.ts';
import { ConfigError, type GatehouseConfig, resolveIssuer } from '../config.ts';
import { outboundFetchFromConfig } from '../outbound-fetch.ts';
import { serverSettings } from '../server-options.ts';
import { UsageError } from '../usage-error.ts';
import { fetchFailureFinding, type LintServer, notJsonFinding } from './lint.ts';
import { admissionLines, documentSummary, findingLines } from './preview-report.ts';

/**
 * `gatehouse clients preview <url> [--json]` and `gatehouse clients add --cimd <url> [--tier T]
 * [--owner O]` (CIMD-CO-3; issue #13, item 6): the document is fetched now through the hardened fetcher the
 * server uses (with the development fetch switches, for loopback test hosts) and judged with this
 * configuration's profile, `cimd` settings and governance (the file's rules and the stored ones),
 * exactly as the server would (server: governance/client-preview.ts). Preview stores nothing; add
 * records the client and approves its exact client_id. A refused document exits 1, like lint.
 */
export async function clientPreviewCommand(
  store: Store,
  config: GatehouseConfig,
  args: readonly string[],
  flags: {
    cimd?: string | undefined;
    file?: string | undefined;
    tier?: string | undefined;
    owner?: string | undefined;
    json: boolean;
  },
): Promise<void> {
  const [action, url, ...extra] = args;
  if (flags.cimd !== undefined && flags.file !== undefined)
    throw new UsageError('--file and --cimd are two ways to add a client: give one');
  if (action === 'preview' && url !== undefined && extra.length === 0 && flags.cimd === undefined)
    return previewCommand(store, config, url, flags.json);
  if (action === 'add' && flags.cimd !== undefined && url === undefined)
    return addCommand(store, config, flags.cimd, { tier: tierOf(flags.tier), owner: ownerOf(flags.owner) });
  throw new UsageError(
    'usage: gatehouse clients preview <url> [--json] | clients add --cimd <url> [--tier <tier>] [--owner <text>]',
  );
}

/** The server's own context for this configuration, reading governance from `store`. */
export function previewContextOf(config: GatehouseConfig, store: Store): ClientPreviewContext {
  try {
    return createClientPreviewContext({
      ...serverSettings(config, resolveIssuer(config, config.port)),
      store,
    });
  } catch (error) {
    // A setting the profile refuses: said as a configuration error, exit 2, as `serve` does.
    throw error instanceof Error && !(error instanceof ConfigError) ? new ConfigError(error.message) : error;
  }
}

/**
 * What `gatehouse lint` decides with: the configuration's profile, `cimd` settings and governance,
 * with the rules of the configuration file only (lint opens no database; `clients preview` also
 * applies the stored rules).
 */
export function lintServerOf(config: GatehouseConfig): LintServer {
  const context = previewContextOf(config, createMemoryStore());
  return {
    clientIdFindings: (url) => clientIdFindings(context, url),
    preview: (url, document) => previewClient(context, url, document),
  };
}

/** A document judged, or refused before there was one to judge (the URL, the fetch, the JSON). */
type Inspection =
  | { preview: ClientPreview; document: unknown; body: Uint8Array; etag?: string; lastModified?: string }
  | { preview: undefined; clientId: string; findings: Finding[] };

async function inspect(context: ClientPreviewContext, fetch: SafeFetch, url: string): Promise<Inspection> {
  if (!context.cimd.enabled)
    throw new UsageError(
      'Client ID Metadata Documents are off in this configuration (cimd.enabled is false): the server would not resolve this client',
    );
  // What the server refuses before any fetch, it is not fetched for here either.
  const before = await clientIdFindings(context, url);
  if (before.some((finding) => finding.level === 'error'))
    return { preview: undefined, clientId: url, findings: before };
  let response: Awaited<ReturnType<SafeFetch>>;
  try {
    response = await fetch(url);
  } catch (caught) {
    return { preview: undefined, clientId: url, findings: [...before, fetchFailureFinding(url, caught)] };
  }
  let document: unknown;
  try {
    document = response.json();
  } catch {
    return { preview: undefined, clientId: url, findings: [...before, notJsonFinding(url)] };
  }
  const etag = response.headers.get('etag') ?? undefined;
  const lastModified = response.headers.get('last-modified') ?? undefined;
  return {
    preview: await previewClient(context, url, document),
    document,
    body: response.body,
    ...(etag === undefined ? {} : { etag }),
    ...(lastModified === undefined ? {} : { lastModified }),
  };
}

async function previewCommand(
  store: Store,
  config: GatehouseConfig,
  url: string,
  json: boolean,
): Promise<void> {
  const inspection = await inspect(
    previewContextOf(config, store),
    outboundFetchFromConfig(config).fetch,
    url,
  );
  const valid = inspection.preview?.valid === true;
  if (json) {
    const shown = inspection.preview ?? {
      clientId: inspection.clientId,
      valid: false,
      findings: inspection.findings,
    };
    say(JSON.stringify({ ...shown, stored: false }, null, 2));
  } else {
    for (const line of reportLines(inspection)) say(line);
    say('nothing was stored');
  }
  if (!valid) process.exitCode = 1;
}

async function addCommand(
  store: Store,
  config: GatehouseConfig,
  url: string,
  options: { tier: TrustTier | undefined; owner: string | undefined },
): Promise<void> {
  const inspection = await inspect(
    previewContextOf(config, store),
    outboundFetchFromConfig(config).fetch,
    url,
  );
  if (inspection.preview === undefined || !inspection.preview.valid) {
    // Said, not thrown: a refused document is the document's fault (exit 1, as lint), no stack.
    for (const line of reportLines(inspection)) process.stderr.write(`${line}\n`);
    process.stderr.write(
      `gatehouse: ${url} was refused: the server would not accept this document; nothing was stored\n`,
    );
    process.exitCode = 1;
    return;
  }
  const { preview, body, document } = inspection;
  const result = await preRegisterCimdClient(
    { store, clock: Date.now, audit: (event) => store.audit.append({ at: Date.now(), ...event }) },
    {
      preview,
      body,
      etag: inspection.etag,
      lastModified: inspection.lastModified,
      tier: options.tier,
      owner: options.owner,
      actor: cliActor(),
    },
  );
  const { before, after } = result.rule;
  say(
    `${result.recorded ? 'added client' : 'approved known client'} ${url} (cimd), approved` +
      (after.tier === undefined ? '' : `, tier ${after.tier}`) +
      (after.owner === undefined ? '' : `, owner ${after.owner}`) +
      (before === undefined ? '' : `; replaces the stored rule (${before.state ?? 'tier only'})`),
  );
  // What the server decides now, with the approval stored (the file's rules still apply).
  const now = await previewClient(previewContextOf(config, store), url, document);
  for (const line of admissionLines(now)) say(line);
}

function reportLines(inspection: Inspection): string[] {
  if (inspection.preview === undefined)
    return [
      inspection.clientId,
      ...findingLines(inspection.findings),
      'refused before the document was judged',
    ];
  const { preview } = inspection;
  return [
    preview.clientId,
    ...findingLines(preview.findings),
    preview.metadata === undefined
      ? 'refused: the server would not accept this document'
      : documentSummary(preview.metadata),
    ...admissionLines(preview),
  ];
}

function tierOf(given: string | undefined): TrustTier | undefined {
  if (given === undefined) return undefined;
  if (!(TRUST_TIERS as readonly string[]).includes(given))
    throw new UsageError(`--tier must be one of ${TRUST_TIERS.join(', ')}, not ${given}`);
  return given as TrustTier;
}

function ownerOf(given: string | undefined): string | undefined {
  if (given !== undefined && (given.trim() === '' || given.length > 200))
    throw new UsageError('--owner takes 1 to 200 characters');
  return given;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
