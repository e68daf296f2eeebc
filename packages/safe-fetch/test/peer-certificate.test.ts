/**
 * Who answered a fetch (issue #14): the dialled address and the certificate the server presented,
 * on a response and on a refusal after the handshake, over real TLS on loopback with two throwaway
 * CAs, both trusted by the fetcher (as a domain changing hands would be: both certificates valid).
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { createTestCa } from '../../../test/support/test-pki.ts';
import { createSafeFetch, type PeerCertificate, type SafeFetchError } from '../src/index.ts';
import { type ConnectProxy, startConnectProxy, stubResolver } from './support/servers.ts';

interface Served {
  port: number;
  certificate: string;
  /** Per TLS connection, whether the client resumed an earlier session. */
  resumed: boolean[];
  close(): Promise<void>;
}

async function serve(certificate: { cert: string; key: string }): Promise<Served> {
  const resumed: boolean[] = [];
  const server: Server = createServer(certificate, (request, response) => {
    if (request.url === '/doc') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"client_id":"x"}');
    } else response.writeHead(404).end();
  });
  server.on('secureConnection', (socket: TLSSocket) => resumed.push(socket.isSessionReused()));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    certificate: certificate.cert,
    resumed,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** What the fetcher must report for a PEM certificate, computed here independently. */
function expected(pem: string): PeerCertificate {
  const certificate = new X509Certificate(pem);
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  return {
    issuer: certificate.issuer,
    subject: certificate.subject,
    spkiSha256: createHash('sha256').update(spki).digest('base64'),
    validFrom: certificate.validFromDate.getTime(),
    validTo: certificate.validToDate.getTime(),
  };
}

let first: Served;
let second: Served;
let trusted: string;

before(async () => {
  const one = await createTestCa('First test CA');
  const two = await createTestCa('Second test CA');
  trusted = `${one.certPem}\n${two.certPem}`;
  first = await serve(await one.issue(['client.test']));
  second = await serve(await two.issue(['client.test']));
});

after(async () => {
  await first.close();
  await second.close();
});

function fetcher() {
  return createSafeFetch({
    resolver: stubResolver({ 'client.test': ['127.0.0.1'] }).resolver,
    ca: trusted,
    allowLoopback: true,
  });
}

describe('the peer of a fetch', () => {
  test('a response names the dialled address and the certificate presented', async () => {
    const response = await fetcher()(`https://client.test:${first.port}/doc`);
    assert.equal(response.remoteAddress, '127.0.0.1');
    assert.deepEqual(response.tls, expected(first.certificate));
    assert.match(response.tls!.issuer, /CN=First test CA/);
    assert.match(response.tls!.subject, /CN=client\.test/);
    assert.match(response.tls!.spkiSha256, /^[A-Za-z0-9+/]{43}=$/);
    assert.ok(response.tls!.validFrom < Date.now() && Date.now() < response.tls!.validTo);
  });

  test('a resumed TLS session still reports the certificate of the session', async () => {
    const safeFetch = fetcher();
    const before = first.resumed.length;
    const once = await safeFetch(`https://client.test:${first.port}/doc`);
    const again = await safeFetch(`https://client.test:${first.port}/doc`);
    assert.deepEqual(first.resumed.slice(before), [false, true], 'the second connection resumed');
    assert.deepEqual(again.tls, once.tls);
  });

  test('another CA and another key behind the same name show as another issuer and SPKI', async () => {
    const safeFetch = fetcher();
    const one = await safeFetch(`https://client.test:${first.port}/doc`);
    const two = await safeFetch(`https://client.test:${second.port}/doc`);
    assert.deepEqual(two.tls, expected(second.certificate));
    assert.notEqual(two.tls!.issuer, one.tls!.issuer);
    assert.notEqual(two.tls!.spkiSha256, one.tls!.spkiSha256);
  });

  test('a refusal after the handshake (a 404) still names the peer', async () => {
    const error = await fetcher()(`https://client.test:${first.port}/gone`).then(
      () => assert.fail('a 404 is refused'),
      (refusal: unknown) => refusal as SafeFetchError,
    );
    assert.equal(error.reason, 'status_not_200');
    assert.equal(error.status, 404);
    assert.equal(error.remoteAddress, '127.0.0.1');
    assert.deepEqual(error.certificate, expected(first.certificate));
  });

  test('a refusal before any connection names no peer', async () => {
    const error = await fetcher()('https://unknown.test/doc').then(
      () => assert.fail('unresolvable'),
      (refusal: unknown) => refusal as SafeFetchError,
    );
    assert.equal(error.reason, 'dns_failure');
    assert.equal(error.remoteAddress, undefined);
    assert.equal(error.certificate, undefined);
  });

  describe('through an egress proxy', () => {
    let proxy: ConnectProxy;
    before(async () => {
      proxy = await startConnectProxy();
    });
    after(() => proxy.close());

    test('the proxy dials: neither address nor certificate is known here', async () => {
      const safeFetch = createSafeFetch({ proxy: proxy.url, ca: trusted });
      const response = await safeFetch(`https://client.test:${first.port}/doc`);
      assert.equal(response.remoteAddress, undefined);
      assert.equal(response.tls, undefined);
    });
  });
});
