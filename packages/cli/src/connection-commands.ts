import type { CommandDefinition } from './command-definition.ts';

/**
 * The connections commands: a user's or a client's live grants with their installations, and
 * revoking one grant or one installation (docs/inventory.md, "Connections"; decision 0044). The
 * same operations as the admin API's connections, kept together here so the reference lists them
 * as one group. Part of the one command table (cli-definitions.ts).
 */
export const CONNECTION_COMMANDS: readonly CommandDefinition[] = [
  {
    name: 'users connections',
    arguments: '<name>',
    options: [
      { name: 'json', description: 'as JSON: the connections, as the service answers them (camelCase)' },
    ],
    description:
      "a user's connections (username or id): each grant's client, redirect URI, scopes, sessions, and its installations",
  },
  {
    name: 'clients connections',
    arguments: '<client_id>',
    options: [
      { name: 'json', description: 'as JSON: the connections, as the service answers them (camelCase)' },
    ],
    description:
      "a client's connections, per user (`http://localhost`: every AT Protocol loopback client), with their installations",
  },
  {
    name: 'connections revoke',
    arguments: '<grant_id>',
    options: [{ name: 'json', description: 'as JSON: the connection as it was' }],
    description: 'revoke one connection (a grant) and every session under it; audited grant.revoked',
  },
  {
    name: 'connections revoke-installation',
    arguments: '<grant_id> <installation-key>',
    options: [{ name: 'json', description: 'as JSON: what was revoked' }],
    description:
      'revoke one installation (machine) of a connection, by its key from `users connections`; the grant goes with its last',
  },
];
