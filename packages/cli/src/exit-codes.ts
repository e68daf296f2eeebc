/**
 * The `gatehouse` exit codes, defined once: main.ts exits with them, and the CLI reference
 * (docs/cli.md) is generated from this table, so a script can rely on what the page says.
 */
export const EXIT_CODES = {
  ok: { code: 0, meaning: 'success' },
  failure: {
    code: 1,
    meaning:
      'an unexpected failure (printed with its stack trace: please report it), a database the store cannot reach, or `lint`, `clients preview` or `clients add --cimd` found an error in the document',
  },
  usage: {
    code: 2,
    meaning:
      'the command line or the configuration is wrong: an unknown command or flag, a bad value, an unknown key in the config file, a setting a profile refuses',
  },
  startup: {
    code: 3,
    meaning:
      'the server cannot start in this environment: the port is in use or not permitted, the address is not this machine’s, a TLS file is missing, unreadable or not valid PEM',
  },
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES]['code'];
