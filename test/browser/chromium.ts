/**
 * Real headless Chromium for the browser tests: Debian's `chromium` package (which .ci/run installs),
 * driven by playwright-core. Playwright's own browser downloads are never used.
 *
 * Trust: Chromium cannot be handed a CA file, and the tests must not switch certificate checks off.
 * So each test pins the exact public keys it serves (`--ignore-certificate-errors-spki-list`, the
 * base64 SHA-256 of each key's SubjectPublicKeyInfo): those keys are accepted, any other certificate
 * still fails, even one from the same test CA. Names: `.test` hosts map to 127.0.0.1 and every other
 * name fails to resolve (`localhost` stays loopback), so the browser never dials anything off the
 * machine.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:tls';
import { type Browser, chromium } from 'playwright-core';

/** Where the browser is: Debian's package, or TEST_CHROMIUM for another build. */
export const CHROMIUM_PATH = process.env.TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The reason to skip the browser tests (no Chromium on this machine, so a fresh checkout's
 * `npm test` still passes), or false to run them. CI sets TEST_REQUIRE_BROWSER=1: there a
 * missing Chromium is an error, never a silent skip.
 */
export function skipWithoutChromium(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  if (process.env.TEST_REQUIRE_BROWSER === '1') {
    throw new Error(
      `TEST_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set TEST_CHROMIUM)`,
    );
  }
  return `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium to run the browser tests)`;
}

/** The pin Chromium takes: base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo. */
export function spkiPin(certificate: string | X509Certificate): string {
  const cert = typeof certificate === 'string' ? new X509Certificate(certificate) : certificate;
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * The pin of the certificate a running https server presents, read over a TLS connection that
 * verifies it against `caPem`: the browser then trusts exactly the key that server serves.
 */
export function servedSpkiPin(origin: string, caPem: string): Promise<string> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port: Number(url.port), servername: url.hostname, ca: caPem },
      () => {
        const cert = socket.getPeerX509Certificate();
        socket.end();
        if (cert === undefined) reject(new Error(`${origin} presented no certificate`));
        else resolve(spkiPin(cert));
      },
    );
    socket.on('error', reject);
  });
}

/** One headless Chromium that trusts exactly the given key pins and resolves only loopback names. */
export function launchChromium(pins: readonly string[]): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      `--ignore-certificate-errors-spki-list=${pins.join(',')}`,
      '--host-resolver-rules=MAP *.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost',
    ],
  });
}
