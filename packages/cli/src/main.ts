import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Store } from '@gatehouse-oauth/server';
import { clientsCommand } from './commands/clients.ts';
import { keysCommand } from './commands/keys.ts';
import { lintCommand } from './commands/lint.ts';
import { registrationTokensCommand } from './commands/registration-tokens.ts';
import { serveCommand } from './commands/serve.ts';
import { usersCommand } from './commands/users.ts';
import { ConfigError, type GatehouseConfig, loadConfig } from './config.ts';
import { openStore } from './open-store.ts';
import { outboundFetchFromConfig } from './outbound-fetch.ts';
import { UsageError } from './usage-error.ts';

const HELP = `gatehouse: an OAuth 2.1 authorization server for clients it has never met

usage: gatehouse <command> [options]

commands:
  serve                             run the server (SQLite in --data by default)
  users add <name> --password-stdin add a local account; the password is read from standard input
  users list
  clients add --file <client.json>  add a pre-registered client (RFC 7591 metadata)
  clients list | clients remove <client_id>
  clients reap                      delete stale dynamic registrations now and revoke their tokens
    [--never-used-seconds N]        ... never used and older than N seconds (default 86400)
    [--idle-seconds N]              ... or unused for N seconds (default 7776000, 90 days)
  registration-tokens issue         issue an initial access token for DCR; printed once
    [--label L] [--max-uses N] [--expires-in SECONDS] [--scope "A B"]
  registration-tokens list | registration-tokens revoke <id>
  keys rotate | keys list           signing keys for access tokens
  migrate                           create or upgrade the database schema
  lint <url|file>                   check a Client ID Metadata Document against every rule

options (each also settable as GATEHOUSE_<NAME> or in the --config JSON file):
  --config <file>      JSON configuration file
  --issuer <url>       issuer URL (default http(s)://localhost:<port> on loopback)
  --host <address>     listen address (default 127.0.0.1)
  --port <n>           listen port (default 8080)
  --data <dir>         data directory (default .gatehouse)
  --store <kind>       sqlite (default), memory or postgres
  --tls-cert <file>    serve https with this certificate chain (PEM)
  --tls-key <file>     ... and this private key (PEM)
  --log-level <level>  fatal, error, warn, info (default), debug, trace, silent
  --profile <name>     default, atproto (AT Protocol OAuth) or mcp; see docs/configuration.md

development only (refused unless the server listens on loopback):
  --dev-loopback-fetch        let outbound fetches (CIMD documents) reach this machine's loopback
  --fetch-ca <file>           also trust this CA (PEM) for outbound fetches
  --dev-host <name=address>   resolve <name> to a loopback <address>; repeatable
`;

const OPTIONS = {
  config: { type: 'string' },
  issuer: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  data: { type: 'string' },
  store: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'log-level': { type: 'string' },
  profile: { type: 'string' },
  'dev-loopback-fetch': { type: 'boolean' },
  'fetch-ca': { type: 'string' },
  'dev-host': { type: 'string', multiple: true },
  'password-stdin': { type: 'boolean' },
  file: { type: 'string' },
  label: { type: 'string' },
  'max-uses': { type: 'string' },
  'expires-in': { type: 'string' },
  scope: { type: 'string' },
  'never-used-seconds': { type: 'string' },
  'idle-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>
  >;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig({
    ...(values.config === undefined ? {} : { file: values.config }),
    env,
    flags: configFlags(values),
  });
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
    });
    return;
  }
  await withStore(config, async (store) => {
    switch (command) {
      case 'users':
        return usersCommand(store, rest, { passwordStdin: values['password-stdin'] === true });
      case 'clients':
        return clientsCommand(store, rest, {
          file: values.file,
          neverUsedSeconds: values['never-used-seconds'],
          idleSeconds: values['idle-seconds'],
        });
      case 'registration-tokens':
        return registrationTokensCommand(store, rest, {
          label: values.label,
          maxUses: values['max-uses'],
          expiresIn: values['expires-in'],
          scope: values.scope,
        });
      case 'keys':
        return keysCommand(store, rest);
      case 'migrate':
        // Opening the store applied every pending migration.
        process.stdout.write(`database schema is up to date (${store.kind})\n`);
        return;
      default:
        throw new UsageError(`unknown command ${command}; see gatehouse --help`);
    }
  });
}

function configFlags(
  values: Record<string, string | boolean | string[] | undefined>,
): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const name of ['issuer', 'host', 'port', 'data', 'store', 'profile'] as const) {
    if (values[name] !== undefined) flags[name] = values[name];
  }
  if (values['log-level'] !== undefined) flags.log_level = values['log-level'];
  const cert = values['tls-cert'];
  const key = values['tls-key'];
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
        const [name, address] = entry.split('=');
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

/** Runs a command line and turns failures into a message and an exit code, never a stack trace for user errors. */
export function runCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return main(argv, env).catch((error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `gatehouse: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}

if (import.meta.main) await runCli(process.argv.slice(2), process.env);
