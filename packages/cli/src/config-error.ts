/** The configuration is wrong: said in one line per problem, exit 2, no stack trace (main.ts). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
