import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Store } from '@gatehouse-oauth/server';
import { parserOptions } from './cli-definitions.ts';
import { adminTokensCommand } from './commands/admin-tokens.ts';
import { auditCommand } from './commands/audit.ts';
import { clientFreshnessCommand, FRESHNESS_ACTIONS } from './commands/client-freshness.ts';
import { clientInventoryCommand, INVENTORY_ACTIONS } from './commands/client-inventory.ts';
import { clientPreviewCommand, lintServerOf } from './commands/client-preview.ts';
import { clientsCommand } from './commands/clients.ts';
import { connectionsCommand } from './commands/connections.ts';
import { keysCommand } from './commands/keys.ts';
import { lintCommand } from './commands/lint.ts';
import { registrationTokensCommand } from './commands/registration-tokens.ts';
import { serveCommand } from './commands/serve.ts';
import { usersCommand } from './commands/users.ts';
import { ConfigError, type GatehouseConfig, loadConfig } from './config.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { commandHelpText, helpText } from './help-text.ts';
import { openStore } from './open-store.ts';
import { outboundFetchFromConfig } from './outbound-fetch.ts';
import { StartupError } from './startup-error.ts';
import { UsageError } from './usage-error.ts';

const OPTIONS = parserOptions();

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** The CLI package's own version, for `gatehouse --version`. */
function version(): string {
  const manifest = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see gatehouse --help`);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version === true) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (values.help === true && command !== undefined && command !== 'help') {
    const help = commandHelpText(command);
    if (help === undefined) throw new UsageError(`unknown command ${command}; see gatehouse --help`);
    process.stdout.write(help);
    return;
  }
  if (values.help === true || command === undefined || command === 'help') {
    process.stdout.write(helpText());
    return;
  }
  const file = text(values, 'config');
  const config = loadConfig({ ...(file === undefined ? {} : { file }), env, flags: configFlags(values) });
  // Said before the command runs and never stopping it (config/unknown-names.ts).
  for (const warning of config.warnings) process.stderr.write(`gatehouse: WARNING: ${warning}\n`);
  if (command === 'serve') return serveCommand(config);
  if (command === 'lint') {
    const [target] = rest;
    if (target === undefined) throw new UsageError('usage: gatehouse lint <https-url|file>');
    const { fetch } = outboundFetchFromConfig(config);
    process.exitCode = await lintCommand(target, {
      // The same hardened fetcher the server uses, so lint sees what the server would see.
      fetchDocument: async (url) => (await fetch(url)).json(),
      readFile: (path) => readFile(path, 'utf8'),
      out: (line) => process.stdout.write(`${line}\n`),
      // The configuration's profile, cimd settings and governance: the server's own rules.
      server: lintServerOf(config),
    });
    return;
  }
  await withStore(config, async (store) => {
    switch (command) {
      case 'users':
        if (rest[0] === 'connections')
          return connectionsCommand(store, config, 'users', rest, { json: values.json === true });
        return usersCommand(store, rest, {
          passwordStdin: values['password-stdin'] === true,
          sub: text(values, 'sub'),
          requireDid: config.profile === 'atproto',
          admin: values.admin === true,
          json: values.json === true,
        });
      case 'clients':
        if (rest[0] === 'connections')
          return connectionsCommand(store, config, 'clients', rest, { json: values.json === true });
        if (FRESHNESS_ACTIONS.includes(rest[0] ?? ''))
          return clientFreshnessCommand(store, config, rest, { json: values.json === true });
        if (rest[0] === 'preview' || values.cimd !== undefined)
          return clientPreviewCommand(store, config, rest, {
            cimd: text(values, 'cimd'),
            file: text(values, 'file'),
            tier: text(values, 'tier'),
            owner: text(values, 'owner'),
            json: values.json === true,
          });
        if (INVENTORY_ACTIONS.includes(rest[0] ?? ''))
          return clientInventoryCommand(store, config, rest, {
            kind: text(values, 'kind'),
            state: text(values, 'state'),
            tier: text(values, 'tier'),
            domain: text(values, 'domain'),
            idleDays: text(values, 'idle-days'),
            installationsOf: text(values, 'installations-of'),
            owner: text(values, 'owner'),
            team: text(values, 'team'),
            contact: text(values, 'contact'),
            labels: texts(values, 'label'),
            note: text(values, 'note'),
            softwareId: text(values, 'software-id'),
            user: text(values, 'user'),
            revoke: values.revoke === true,
            json: values.json === true,
          });
        return clientsCommand(store, rest, {
          file: text(values, 'file'),
          neverUsedSeconds: text(values, 'never-used-seconds'),
          idleSeconds: text(values, 'idle-seconds'),
          tier: text(values, 'tier'),
          owner: text(values, 'owner'),
          note: text(values, 'note'),
          reason: text(values, 'reason'),
          json: values.json === true,
          governance: config.governance,
          diff: text(values, 'diff'),
          limit: text(values, 'limit'),
          before: text(values, 'before'),
        });
      case 'registration-tokens':
        return registrationTokensCommand(store, rest, {
          label: text(values, 'label'),
          maxUses: text(values, 'max-uses'),
          expiresIn: text(values, 'expires-in'),
          scope: text(values, 'scope'),
        });
      case 'admin-tokens':
        return adminTokensCommand(store, rest, {
          scope: text(values, 'scope'),
          label: text(values, 'label'),
          expiresIn: text(values, 'expires-in'),
          json: values.json === true,
        });
      case 'keys':
        return keysCommand(store, rest);
      case 'connections':
        return connectionsCommand(store, config, 'connections', rest, { json: values.json === true });
      case 'audit':
        return auditCommand(store, rest, {
          client: text(values, 'client'),
          user: text(values, 'user'),
          type: text(values, 'type'),
          actor: text(values, 'actor'),
          since: text(values, 'since'),
          until: text(values, 'until'),
          limit: text(values, 'limit'),
          json: values.json === true,
        });
      case 'migrate':
        // Opening the store applied every pending migration.
        process.stdout.write(`database schema is up to date (${store.kind})\n`);
        return;
      default:
        throw new UsageError(`unknown command ${command}; see gatehouse --help`);
    }
  });
}

/**
 * A flag's text; the parser already refused a switch given a value and the reverse. A flag one
 * command repeats (`--label`) is collected for every command: the others read its last value.
 */
function text(values: Values, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return value.at(-1) as string | undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable flag, in order; undefined when it was not given. */
function texts(values: Values, name: string): string[] | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

function configFlags(values: Values): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const name of ['issuer', 'host', 'port', 'data', 'store', 'profile'] as const) {
    if (values[name] !== undefined) flags[name] = values[name];
  }
  if (values['log-level'] !== undefined) flags.log_level = values['log-level'];
  const logFormat = text(values, 'log-format');
  if (logFormat !== undefined) flags.log_format = logFormat;
  const cert = text(values, 'tls-cert');
  const key = text(values, 'tls-key');
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  if (cert !== undefined) flags.tls = { cert, key };
  const fetch: Record<string, unknown> = {};
  if (values['dev-loopback-fetch'] === true) fetch.dev_loopback = true;
  if (typeof values['fetch-ca'] === 'string') fetch.ca_file = values['fetch-ca'];
  const devHosts = values['dev-host'];
  if (Array.isArray(devHosts)) {
    fetch.dev_hosts = Object.fromEntries(
      devHosts.map((entry) => {
        const [name, address] = String(entry).split('=');
        if (!name || !address) throw new UsageError(`--dev-host takes name=address, not ${entry}`);
        return [name, address];
      }),
    );
  }
  if (Object.keys(fetch).length > 0) flags.fetch = fetch;
  return flags;
}

async function withStore(config: GatehouseConfig, run: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore(config);
  try {
    await run(store);
  } finally {
    await store.close();
  }
}

/**
 * Runs a command line and turns failures into a message and an exit code (exit-codes.ts): what the
 * operator can fix is said without a stack trace; only an unexpected failure shows one.
 */
export function runCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return main(argv, env).catch((error: unknown) => {
    const said = (code: number, message: string) => {
      process.stderr.write(`gatehouse: ${message}\n`);
      process.exitCode = code;
    };
    if (error instanceof UsageError || error instanceof ConfigError)
      return said(EXIT_CODES.usage.code, error.message);
    if (error instanceof StartupError) return said(EXIT_CODES.startup.code, error.message);
    said(EXIT_CODES.failure.code, error instanceof Error ? (error.stack ?? error.message) : String(error));
  });
}

if (import.meta.main) await runCli(process.argv.slice(2), process.env);
