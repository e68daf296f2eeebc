/**
 * The certificate the server presented, as the fetcher reports it on a response (and on a refusal
 * after the handshake): who issued it, to whom, for which key, and for how long. Gatehouse keeps it
 * with each fetch of a client's metadata document, so that an operator can see when the party
 * answering for a domain changed (issue #14: a new issuer and a new key together, with new client
 * keys, is what a domain changing hands looks like).
 */
import { createHash, type X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface PeerCertificate {
  /** The issuer's distinguished name as Node prints it (`CN=…`, one attribute a line). */
  issuer: string;
  subject: string;
  /**
   * SHA-256 of the DER SubjectPublicKeyInfo, base64: the key's identity whatever certificate wraps
   * it (the form of an HPKP `pin-sha256`). A renewal with the same key keeps it.
   */
  spkiSha256: string;
  /** notBefore and notAfter, epoch milliseconds. */
  validFrom: number;
  validTo: number;
}

export function describeCertificate(certificate: X509Certificate): PeerCertificate {
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  return {
    issuer: certificate.issuer,
    subject: certificate.subject,
    spkiSha256: createHash('sha256').update(spki).digest('base64'),
    validFrom: certificate.validFromDate.getTime(),
    validTo: certificate.validToDate.getTime(),
  };
}

/** The leaf certificate a full handshake presented; undefined for a plain or resumed TLS socket. */
export function peerCertificateOf(socket: Socket): PeerCertificate | undefined {
  const getter = (socket as Partial<TLSSocket>).getPeerX509Certificate;
  if (typeof getter !== 'function') return undefined;
  const certificate = getter.call(socket);
  return certificate === undefined ? undefined : describeCertificate(certificate);
}

export interface PeerCertificates {
  /** The certificate that authenticated this connected socket's session, when known. */
  of(socket: Socket): PeerCertificate | undefined;
}

/**
 * The certificates behind a fetcher's TLS sessions. A fetcher's connections resume earlier sessions
 * (undici's session cache, decision 0020), and a resumed session presents no certificate: the
 * client sees none (getPeerX509Certificate is undefined). What authenticated it is the certificate
 * of the full handshake the session came from, so each session a connection receives is remembered
 * with its certificate, by the digest of the session's bytes, and a resumed connection (whose
 * `getSession()` is the session it resumed) is told it. Bounded: the oldest are forgotten first; a
 * forgotten session reports no certificate rather than a guessed one.
 */
export function createPeerCertificates(limit = 256): PeerCertificates {
  const bySession = new Map<string, PeerCertificate>();
  const key = (session: Buffer) => createHash('sha256').update(session).digest('base64');
  const remember = (session: Buffer, certificate: PeerCertificate) => {
    const id = key(session);
    bySession.delete(id);
    bySession.set(id, certificate);
    if (bySession.size > limit) bySession.delete(bySession.keys().next().value!);
  };
  return {
    of(socket) {
      const tlsSocket = socket as Partial<TLSSocket> & Socket;
      let certificate = peerCertificateOf(socket);
      if (certificate === undefined && tlsSocket.isSessionReused?.() === true) {
        const resumed = tlsSocket.getSession?.();
        if (resumed !== undefined) certificate = bySession.get(key(resumed));
      }
      // Every session this connection is given descends from the same certificate.
      if (certificate !== undefined) {
        const known = certificate;
        socket.on('session', (session: Buffer) => remember(session, known));
      }
      return certificate;
    },
  };
}
