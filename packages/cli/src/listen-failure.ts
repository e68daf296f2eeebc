import { StartupError, systemCode } from './startup-error.ts';

/** Where the operator sets a listener's address, to say in the message (`--port or GATEHOUSE_PORT`). */
export interface ListenSettings {
  host: string;
  port: string;
}

export const MAIN_LISTENER: ListenSettings = {
  host: '--host or GATEHOUSE_HOST',
  port: '--port or GATEHOUSE_PORT',
};

export const METRICS_LISTENER: ListenSettings = {
  host: 'metrics.listen.host (GATEHOUSE_METRICS__LISTEN__HOST)',
  port: 'metrics.listen.port (GATEHOUSE_METRICS__LISTEN__PORT)',
};

export const ADMIN_LISTENER: ListenSettings = {
  host: 'admin.listen.host (GATEHOUSE_ADMIN__LISTEN__HOST)',
  port: 'admin.listen.port (GATEHOUSE_ADMIN__LISTEN__PORT)',
};

/** A failed bind said as what is wrong and which setting to change (exit 3), not Node's stack. */
export function listenFailure(
  error: unknown,
  host: string,
  port: number,
  settings: ListenSettings,
): StartupError {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const cannot = `cannot listen on ${address}`;
  switch (systemCode(error)) {
    case 'EADDRINUSE':
      return new StartupError(
        `${cannot}: the port is in use by another process; stop that process, or choose another port with ${settings.port}`,
      );
    case 'EACCES':
    case 'EPERM':
      return new StartupError(
        `${cannot}: permission denied (ports below 1024 need privileges); choose a port from 1024 up with ${settings.port}`,
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(`${cannot}: this machine has no such address; correct ${settings.host}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`${cannot}: the host name does not resolve; correct ${settings.host}`);
    default:
      return new StartupError(`${cannot}: ${(error as Error).message}`);
  }
}
