/**
 * The server cannot start in this environment (a busy port, a missing TLS file): said in one line
 * with what to do, no stack trace, exit code 3 (exit-codes.ts). Nothing is on disk yet when one is
 * thrown: `gatehouse serve` checks these before it opens the store (commands/serve.ts).
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** The error code Node.js gives a failed system call (`EADDRINUSE`, `ENOENT`…), if any. */
export function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
