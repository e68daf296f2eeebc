/**
 * Every command and option of `gatehouse`, once: the argument parser's options, `gatehouse --help`
 * (help-text.ts) and the reference in docs/cli.md (cli-reference.ts) are all made from this table,
 * and a test keeps the page equal to it. A new command or flag is added here, and main.ts
 * dispatches it.
 */

import { CLIENT_COMMANDS } from './client-commands.ts';
import type { CommandDefinition, OptionDefinition, OptionGroup } from './command-definition.ts';
import { CONNECTION_COMMANDS } from './connection-commands.ts';

export type { CommandDefinition, OptionDefinition, OptionGroup } from './command-definition.ts';

export const PROGRAM = {
  name: 'gatehouse',
  summary: 'an OAuth 2.1 authorization server for clients it has never met',
  usage: 'gatehouse <command> [options]',
} as const;

export const COMMANDS: readonly CommandDefinition[] = [
  { name: 'serve', description: 'run the server (SQLite in --data by default)' },
  {
    name: 'users add',
    arguments: '<name>',
    options: [
      {
        name: 'password-stdin',
        required: true,
        description: 'read the password from standard input (never from the command line)',
      },
      {
        name: 'sub',
        value: '<subject>',
        description: 'a fixed token subject for the account (a DID under --profile atproto)',
      },
      { name: 'admin', description: 'the account may sign in to the admin console (decision 0040)' },
    ],
    description: 'add a local account',
  },
  {
    name: 'users list',
    options: [{ name: 'json', description: 'as a JSON array: name, id, created, subject, disabled, admin' }],
    description: 'list local accounts: name, id, created, subject, disabled, admin',
  },
  {
    name: 'users remove',
    arguments: '<name>',
    description: 'remove an account and revoke its grants and tokens',
  },
  {
    name: 'users disable',
    arguments: '<name>',
    description: 'the account cannot log in and its grants stop working',
  },
  { name: 'users enable', arguments: '<name>', description: 'undo users disable' },
  {
    name: 'users set-password',
    arguments: '<name>',
    options: [
      {
        name: 'password-stdin',
        required: true,
        description: 'read the new password from standard input',
      },
    ],
    description: "replace an account's password",
  },
  {
    name: 'users set-sub',
    arguments: '<name> <subject>',
    description: 'give an account a fixed token subject (a DID under --profile atproto)',
  },
  {
    name: 'users grant-admin',
    arguments: '<name>',
    description: 'the account may sign in to the admin console (audited)',
  },
  { name: 'users revoke-admin', arguments: '<name>', description: 'undo users grant-admin (audited)' },
  // Every `clients …` command, in the order the reference lists them (client-commands.ts).
  ...CLIENT_COMMANDS,
  // `users connections`, `clients connections`, `connections revoke…` (connection-commands.ts).
  ...CONNECTION_COMMANDS,
  {
    name: 'registration-tokens issue',
    options: [
      { name: 'label', value: '<text>', description: 'a name for the token, shown by list' },
      { name: 'max-uses', value: '<n>', description: 'registrations it allows' },
      { name: 'expires-in', value: '<seconds>', description: 'lifetime' },
      { name: 'scope', value: '"<a> <b>"', description: 'the scopes clients registered with it may ask for' },
    ],
    description: 'issue an initial access token for dynamic registration; printed once',
  },
  { name: 'registration-tokens list', description: 'list initial access tokens' },
  {
    name: 'registration-tokens revoke',
    arguments: '<id>',
    description: 'revoke an initial access token',
  },
  {
    name: 'admin-tokens issue',
    options: [
      {
        name: 'scope',
        value: 'read|write',
        required: true,
        description: 'read: the GET operations; write: every operation',
      },
      { name: 'label', value: '<text>', description: 'a name for the token, shown by list' },
      { name: 'expires-in', value: '<seconds>', description: 'lifetime (default: until revoked)' },
    ],
    description: 'issue an admin API token (docs/admin-api.md); printed once',
  },
  {
    name: 'admin-tokens list',
    options: [{ name: 'json', description: 'as JSON: the AdminToken objects of the admin API' }],
    description: 'list admin API tokens: id, state, scope, expiry, who issued it, label',
  },
  {
    name: 'admin-tokens revoke',
    arguments: '<id>',
    description: 'revoke an admin API token',
  },
  {
    name: 'audit',
    options: [
      ...auditFilterOptions('at most n events (default 100)'),
      { name: 'json', description: 'as a JSON array of the stored events' },
    ],
    description:
      'the audit log, newest first: time, type, actor, client, user, reason (docs/audit-events.md)',
  },
  {
    name: 'audit export',
    options: auditFilterOptions('at most n events (default: every one that matches)'),
    description: 'every audit event the filters select as JSON Lines, streamed (millions of events are fine)',
  },
  { name: 'keys rotate', description: 'add a new signing key; the previous ones stay published' },
  { name: 'keys list', description: 'list signing keys for access tokens' },
  { name: 'migrate', description: 'create or upgrade the database schema' },
  {
    name: 'lint',
    arguments: '<url|file>',
    description:
      "check a Client ID Metadata Document against every rule of the configuration's profile and policies",
  },
];

/** The filters of `audit` and `audit export`, with what `--limit` means for each. */
function auditFilterOptions(limit: string): OptionDefinition[] {
  return [
    { name: 'client', value: '<client_id>', description: 'events of this client' },
    {
      name: 'user',
      value: '<name>',
      description: 'events of this account; `id:<user_id>` for an account removed since',
    },
    { name: 'type', value: '<type>', description: 'events of this type, e.g. client.removed' },
    {
      name: 'actor',
      value: '<actor>',
      description: 'events this actor caused: cli:<user>, admin-token:<id>, system:<job>…',
    },
    {
      name: 'since',
      value: '<ISO-8601>',
      description: 'at or after: a date (UTC) or a date-time with Z or an offset',
    },
    { name: 'until', value: '<ISO-8601>', description: 'before this time (exclusive), written the same way' },
    { name: 'limit', value: '<n>', description: limit },
  ];
}

/** Options every command takes: they configure the server and its store (docs/configuration.md). */
export const SETTING_OPTIONS: readonly OptionGroup[] = [
  {
    title: 'settings',
    note: 'each also settable as GATEHOUSE_<NAME> or in the --config JSON file',
    options: [
      { name: 'config', value: '<file>', description: 'JSON configuration file' },
      {
        name: 'issuer',
        value: '<url>',
        description: 'issuer URL (default http(s)://localhost:<port> on loopback)',
      },
      { name: 'host', value: '<address>', description: 'listen address (default 127.0.0.1)' },
      { name: 'port', value: '<n>', description: 'listen port (default 8080)' },
      { name: 'data', value: '<dir>', description: 'data directory (default .gatehouse)' },
      { name: 'store', value: '<kind>', description: 'sqlite (default), memory or postgres' },
      { name: 'tls-cert', value: '<file>', description: 'serve https with this certificate chain (PEM)' },
      { name: 'tls-key', value: '<file>', description: '... and this private key (PEM)' },
      {
        name: 'log-level',
        value: '<level>',
        description: 'fatal, error, warn, info (default), debug, trace, silent',
      },
      {
        name: 'log-format',
        value: '<format>',
        description: 'json or pretty (default: pretty on a terminal, else json)',
      },
      {
        name: 'profile',
        value: '<name>',
        description: 'default, atproto (AT Protocol OAuth) or mcp; see docs/configuration.md',
      },
    ],
  },
  {
    title: 'development only',
    note: 'refused unless the server listens on loopback',
    options: [
      {
        name: 'dev-loopback-fetch',
        description: "let outbound fetches (CIMD documents) reach this machine's loopback",
      },
      { name: 'fetch-ca', value: '<file>', description: 'also trust this CA (PEM) for outbound fetches' },
      {
        name: 'dev-host',
        value: '<name=address>',
        multiple: true,
        description: 'resolve <name> to a loopback <address>; repeatable',
      },
    ],
  },
];

export const GENERAL_OPTIONS: readonly OptionDefinition[] = [
  { name: 'help', short: 'h', description: 'this help; `gatehouse <command> --help` for one command' },
  { name: 'version', description: "print the CLI's version" },
];

/** The commands whose first word is `word` (`users` → users add, users list). */
export function commandsOf(word: string): CommandDefinition[] {
  return COMMANDS.filter((command) => command.name.split(' ')[0] === word);
}

/** Every option of every command, once, for `node:util` parseArgs. */
export function parserOptions(): Record<
  string,
  { type: 'string' | 'boolean'; multiple?: boolean; short?: string }
> {
  const all = [
    ...SETTING_OPTIONS.flatMap((group) => group.options),
    ...COMMANDS.flatMap((command) => command.options ?? []),
    ...GENERAL_OPTIONS,
  ];
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const option of all) {
    const parsed = {
      type: option.value === undefined ? ('boolean' as const) : ('string' as const),
      ...(option.multiple === true ? { multiple: true } : {}),
      ...(option.short === undefined ? {} : { short: option.short }),
    };
    const existing = options[option.name];
    // Two commands may share a flag (`--password-stdin`), but it must be read the same way.
    if (existing !== undefined && existing.type !== parsed.type)
      throw new Error(`--${option.name} is defined both as a switch and with a value`);
    // A flag repeatable for one command (`--label`) is collected for all; the others read its last.
    options[option.name] = existing?.multiple === true ? { ...parsed, multiple: true } : parsed;
  }
  return options;
}
