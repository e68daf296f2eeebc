/**
 * `npm run dev:ca -- [--out <dir>] <host name>…`: a development CA and a server certificate for the
 * named test hosts, as PEM files in <dir> (default `dev-ca`), for developing a client against a
 * local Gatehouse (docs/developing-a-cimd-client.md). The CA is made once and reused, so every
 * certificate made later chains to the one `ca.pem` Gatehouse trusts (`fetch.ca_file`).
 *
 * Files: ca.pem, ca-key.pem (the CA; keep the key private), <host>.pem and <host>-key.pem (for the
 * first host name; the certificate covers all of them). Keys are written with mode 0600.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createCa, loadCa } from './dev-pki.ts';

/** A certificate for local development, not a public CA's: long enough not to be a chore. */
const LEAF_DAYS = 365;
const CA_DAYS = 5 * 365;
/** A DNS name of letters, digits and hyphens (RFC 1123), or a wildcard in the leftmost label. */
const HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: 'string', default: 'dev-ca' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help || positionals.length === 0) {
    throw new UsageError('usage: npm run dev:ca -- [--out <dir>] <host name> [more names…]');
  }
  const hosts = positionals.map((name) => name.toLowerCase());
  const bad = hosts.find((name) => !HOST.test(name) || name.length > 253);
  if (bad !== undefined) throw new UsageError(`${bad} is not a DNS host name`);

  const dir = resolve(values.out);
  mkdirSync(dir, { recursive: true });
  const caCert = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  const reused = existsSync(caCert) && existsSync(caKey);
  const ca = reused
    ? await loadCa(readFileSync(caCert, 'utf8'), readFileSync(caKey, 'utf8'))
    : await createCa('Gatehouse development CA', { days: CA_DAYS });
  if (!reused) {
    writeFileSync(caCert, ca.certPem);
    writeFileSync(caKey, ca.keyPem, { mode: 0o600 });
  }
  const leaf = await ca.issue(hosts, { days: LEAF_DAYS });
  const base = hosts[0]!.replace(/^\*\./, 'wildcard.');
  writeFileSync(join(dir, `${base}.pem`), leaf.cert);
  writeFileSync(join(dir, `${base}-key.pem`), leaf.key, { mode: 0o600 });
  process.stdout.write(
    `${reused ? 'reused the CA' : 'made a new CA'}: ${caCert}\n` +
      `certificate for ${hosts.join(', ')}: ${join(dir, `${base}.pem`)} (key ${join(dir, `${base}-key.pem`)})\n` +
      'Gatehouse trusts it for outbound fetches with fetch.ca_file (--fetch-ca); development only.\n',
  );
}

class UsageError extends Error {}

try {
  await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`dev:ca: ${(error as Error).message}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
