/**
 * Every command and option of `gatehouse`, once: the argument parser's options, `gatehouse --help`
 * (help-text.ts) and the reference in docs/cli.md (cli-reference.ts) are all made from this table,
 * and a test keeps the page equal to it. A new command or flag is added here, and main.ts
 * dispatches it.
 */
export interface OptionDefinition {
  /** Without the leading `--`. */
  readonly name: string;
  /** The value's placeholder (`<file>`); absent for a switch. */
  readonly value?: string;
  /** Shown without brackets in the command's synopsis. */
  readonly required?: boolean;
  readonly multiple?: boolean;
  readonly short?: string;
  readonly description: string;
}

export interface CommandDefinition {
  /** As typed, words separated by a space: `clients reap`. */
  readonly name: string;
  /** Positional arguments as the synopsis shows them: `<client_id>`. */
  readonly arguments?: string;
  readonly options?: readonly OptionDefinition[];
  readonly description: string;
}

export interface OptionGroup {
  readonly title: string;
  readonly note: string;
  readonly options: readonly OptionDefinition[];
}

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
    ],
    description: 'add a local account',
  },
  { name: 'users list', description: 'list local accounts: name, id, created, subject, disabled' },
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
    name: 'clients add',
    options: [
      {
        name: 'file',
        value: '<client.json>',
        required: true,
        description: 'the client metadata (RFC 7591) as JSON, with its client_id',
      },
    ],
    description: 'add a pre-registered client; a generated secret is printed once',
  },
  {
    name: 'clients add',
    options: [
      {
        name: 'cimd',
        value: '<url>',
        required: true,
        description: 'a Client ID Metadata Document URL, fetched and validated now as the server would',
      },
      {
        name: 'tier',
        value: '<tier>',
        description: 'trusted, verified-domain, self-asserted or local (default: the weakest that applies)',
      },
      { name: 'owner', value: '<text>', description: 'who answers for the client' },
    ],
    description: 'pre-register a document client: recorded, and approved by its exact client_id',
  },
  {
    name: 'clients preview',
    arguments: '<url>',
    options: [{ name: 'json', description: 'the preview as JSON' }],
    description:
      'what the server would decide about a document client: findings, tier, admission, scope ceiling; stores nothing',
  },
  {
    name: 'clients list',
    options: [{ name: 'json', description: 'as a JSON array' }],
    description: 'list clients: id, kind, authentication method, name',
  },
  {
    name: 'clients remove',
    arguments: '<client_id>',
    description: 'remove a client and revoke its grants and tokens',
  },
  {
    name: 'clients reap',
    options: [
      {
        name: 'never-used-seconds',
        value: '<n>',
        description: 'dynamic registrations never used and older than n seconds (default 86400)',
      },
      {
        name: 'idle-seconds',
        value: '<n>',
        description: 'or unused for n seconds (default 7776000, 90 days)',
      },
    ],
    description: 'delete stale dynamic registrations now and revoke their tokens',
  },
  {
    name: 'clients approve',
    arguments: '<client_id|rule>',
    options: [
      {
        name: 'tier',
        value: '<tier>',
        description: 'place it in a trust tier: trusted, verified-domain, self-asserted or local',
      },
      { name: 'owner', value: '<text>', description: 'who answers for the clients it selects' },
      { name: 'note', value: '<text>', description: 'why, for the audit and the listings' },
    ],
    description:
      'approve a client, or every client a rule selects (domain:, host:, a URL pattern…); ends its hold and access requests',
  },
  {
    name: 'clients block',
    arguments: '<client_id|rule>',
    options: [{ name: 'reason', value: '<text>', description: 'why, for the audit and the listings' }],
    description: 'block a client or a rule, and revoke the grants and tokens of every client it selects',
  },
  {
    name: 'clients unblock',
    arguments: '<client_id|rule>',
    description: 'remove a stored block (a block in the configuration file changes with the file)',
  },
  {
    name: 'clients pending',
    options: [{ name: 'json', description: 'as JSON: {"requests": [...], "holds": [...]}' }],
    description: 'access requests awaiting approval (client, user, first, last, attempts) and held clients',
  },
  {
    name: 'clients rules',
    options: [{ name: 'json', description: 'as a JSON array, each rule with its origin' }],
    description: "the governance rules in force: the configuration file's, then the stored ones",
  },
  {
    name: 'clients history',
    arguments: '<client_id>',
    options: [
      {
        name: 'diff',
        value: '<from> <to>',
        description:
          'what changed between two versions, value by value: version numbers (1 = the first) or digests',
      },
      { name: 'limit', value: '<n>', description: 'fetches to list, newest first (default 50, at most 500)' },
      { name: 'before', value: '<id>', description: 'the next page: fetches older than this id' },
      { name: 'json', description: 'as JSON: the history, or the diff, as the admin API has it (camelCase)' },
    ],
    description:
      "a document client's versions, and every fetch of its document: outcome, reason, address dialled, TLS certificate",
  },
  {
    name: 'clients refresh',
    arguments: '<client_id>',
    options: [{ name: 'json', description: 'the outcome as JSON' }],
    description:
      "re-fetch a document client's metadata document now, as the server would; every running instance uses the new version",
  },
  {
    name: 'clients evict',
    arguments: '<client_id>',
    options: [{ name: 'json', description: 'as JSON' }],
    description:
      "drop a document client's cached metadata document on every running instance; its next use fetches it",
  },
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
    options[option.name] = parsed;
  }
  return options;
}
