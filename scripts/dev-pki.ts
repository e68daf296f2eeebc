/**
 * A development PKI: one ECDSA P-256 CA and server certificates for made-up host names, with
 * @peculiar/x509 on node:crypto. Used by `npm run dev:ca` (dev-ca.ts), which keeps the CA in a
 * directory so every certificate a developer makes chains to the one CA file Gatehouse trusts
 * (`fetch.ca_file`), and by the tests' throwaway PKI (test/support/test-pki.ts). Never for
 * production: the CA key sits unencrypted on disk.
 */
import 'reflect-metadata'; // @peculiar/x509 resolves its algorithms through tsyringe, which needs it
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface IssuedCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

export interface DevCa {
  /** PEM of the CA certificate: what a client (or Gatehouse's `fetch.ca_file`) trusts. */
  certPem: string;
  /** PEM PKCS#8 of the CA's private key, to keep beside it and issue more certificates later. */
  keyPem: string;
  /** A server certificate for these DNS names (the first is also the common name). */
  issue(dnsNames: readonly string[], options?: { days?: number }): Promise<IssuedCertificate>;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Valid from an hour ago (clock skew between processes) for `days`. */
function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 60 * 60 * 1000), notAfter: new Date(now + days * DAY) };
}

export async function createCa(commonName: string, options: { days?: number } = {}): Promise<DevCa> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: algorithm,
    ...validity(options.days ?? 1),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return caFrom(cert, keys, await privateKeyPem(keys.privateKey));
}

/** A CA made earlier, from its certificate and key PEM. */
export async function loadCa(certPem: string, keyPem: string): Promise<DevCa> {
  const cert = new x509.X509Certificate(certPem);
  // node:crypto's CryptoKey type is wider than the DOM one @peculiar/x509 is typed with; same object.
  const privateKey = (await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(keyPem),
    algorithm,
    true,
    ['sign'],
  )) as unknown as CryptoKey;
  const publicKey = await cert.publicKey.export(algorithm, ['verify'], webcrypto as unknown as Crypto);
  return caFrom(cert, { privateKey, publicKey }, keyPem);
}

function caFrom(cert: x509.X509Certificate, keys: CryptoKeyPair, keyPem: string): DevCa {
  return {
    certPem: cert.toString('pem'),
    keyPem,
    async issue(dnsNames, options = {}) {
      const leafKeys = (await webcrypto.subtle.generateKey(algorithm, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const leaf = await x509.X509CertificateGenerator.create({
        subject: `CN=${dnsNames[0] ?? 'leaf'}`,
        issuer: cert.subject,
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: algorithm,
        ...validity(options.days ?? 1),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(
            dnsNames.map((value) => ({ type: 'dns' as const, value })),
          ),
          await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      return { cert: leaf.toString('pem'), key: await privateKeyPem(leafKeys.privateKey) };
    },
  };
}
