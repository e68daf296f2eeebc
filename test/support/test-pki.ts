/**
 * A throwaway PKI made fresh in each test run: one CA and leaf certificates for `.test` names, so the
 * fetcher meets real TLS on loopback with the CA injected (never a production escape hatch). The
 * same PKI code as `npm run dev:ca` (scripts/dev-pki.ts), with one-day certificates kept in memory.
 */
import { createCa, type DevCa } from '../../scripts/dev-pki.ts';

export type { IssuedCertificate } from '../../scripts/dev-pki.ts';

export interface TestCa {
  /** PEM of the CA certificate, to inject into the fetcher's `ca` option. */
  certPem: string;
  issue: DevCa['issue'];
}

export function createTestCa(commonName = 'Gatehouse test CA'): Promise<TestCa> {
  return createCa(commonName);
}
