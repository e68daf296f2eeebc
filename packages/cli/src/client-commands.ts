import type { CommandDefinition } from './command-definition.ts';

/**
 * The `gatehouse clients …` commands: pre-registration, the inventory, governance, document history
 * and freshness (issues #12, #13, #14). Part of the one command table (cli-definitions.ts), kept in a
 * file of its own because it is most of it.
 */
export const CLIENT_COMMANDS: readonly CommandDefinition[] = [
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
    options: [
      { name: 'kind', value: '<kind>', description: 'static, dcr, cimd or loopback' },
      {
        name: 'state',
        value: '<state>',
        description: 'approved, pending or blocked: what governance decides now',
      },
      { name: 'tier', value: '<tier>', description: 'trusted, verified-domain, self-asserted or local' },
      {
        name: 'domain',
        value: '<host>',
        description: 'clients under a host and its subdomains (registered clients: by their redirect hosts)',
      },
      {
        name: 'idle-days',
        value: '<n>',
        description: 'not seen for n days (never seen: since the client was recorded)',
      },
      { name: 'owner', value: '<text>', description: "the operator's owner field, exactly" },
      { name: 'label', value: '<label>', description: 'with this operator label' },
      {
        name: 'installations-of',
        value: '<client_id>',
        description:
          'only the installation registrations of a shared (recognised) registration; without it they are left out (docs/inventory.md)',
      },
      { name: 'json', description: 'as a JSON array of inventory entries' },
    ],
    description:
      'list clients: id, kind, authentication method, name, then state, tier, owner, last seen (docs/inventory.md)',
  },
  {
    name: 'clients show',
    arguments: '<client_id>',
    options: [{ name: 'json', description: 'as JSON: the inventory entry with its reach' }],
    description:
      'one client: who it is and who answers for it, its state and tier, when it was seen, what it reaches',
  },
  {
    name: 'clients set-owner',
    arguments: '<client_id>',
    options: [
      { name: 'owner', value: '<text>', description: "who answers for the client ('' clears it)" },
      { name: 'team', value: '<text>', description: "the team ('' clears it)" },
      { name: 'contact', value: '<text>', description: "how to reach them ('' clears it)" },
      {
        name: 'label',
        value: '<label>',
        multiple: true,
        description: "a label; repeatable, replaces the labels ('' clears them)",
      },
      { name: 'note', value: '<text>', description: "a note ('' clears it)" },
      { name: 'json', description: 'as JSON: the fields before and after' },
    ],
    description: "set the operator's fields of a client; audited with who set them",
  },
  {
    name: 'clients blast-radius',
    arguments: '[<client_id>]',
    options: [
      { name: 'domain', value: '<host>', description: 'every client under a host and its subdomains' },
      { name: 'software-id', value: '<id>', description: 'every client with this software_id' },
      { name: 'user', value: '<name>', description: 'a user (username or id): every grant of theirs' },
      {
        name: 'revoke',
        description:
          'after printing the counts, revoke every grant and session of the selection, and (but for --user) every token its clients hold for themselves',
      },
      { name: 'json', description: 'as JSON: the counts (with --revoke: before, after, what was revoked)' },
    ],
    description:
      'what a client, a domain, a software_id or a user reaches: users, installations, scopes, sessions, recent tokens',
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
          'what changed between two versions, value by value: version numbers (1 = the first) or digests (a digest may start with `-`: then `--diff=<from>`, and `-- <to>` last)',
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
];
