import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { StartupError, systemCode } from './startup-error.ts';

/**
 * The TLS certificate chain and private key, read and checked before the server creates anything:
 * a missing or unreadable file, or a pair that does not load, ends the start in one line naming
 * the file and the setting to change (exit 3).
 */
export function readTlsFiles(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const cert = readTlsFile(tls.cert, 'certificate chain', '--tls-cert (tls.cert)');
  const key = readTlsFile(tls.key, 'private key', '--tls-key (tls.key)');
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new StartupError(
      `the TLS certificate ${resolve(tls.cert)} and key ${resolve(tls.key)} cannot be used (${(error as Error).message}); both must be PEM, and the key must be the certificate's`,
    );
  }
  return { cert, key };
}

function readTlsFile(path: string, what: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const cannot = `cannot read the TLS ${what} ${resolve(path)}`;
    switch (systemCode(error)) {
      case 'ENOENT':
        throw new StartupError(
          `${cannot}: no such file; correct ${setting}, or set neither TLS file to serve plain http`,
        );
      case 'EACCES':
      case 'EPERM':
        throw new StartupError(
          `${cannot}: permission denied; make it readable by the user gatehouse runs as`,
        );
      case 'EISDIR':
        throw new StartupError(`${cannot}: it is a directory; ${setting} names the PEM file itself`);
      default:
        throw new StartupError(`${cannot}: ${(error as Error).message}`);
    }
  }
}
