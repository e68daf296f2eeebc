/**
 * Issue 18, finding 5: a failed outbound fetch made for a client (its metadata document, its
 * jwks_uri) is answered, to whoever sent the request, with the fixed sentence of
 * public-fetch-descriptions.ts for its reason (CIMD-FETCH-13, RFC 6749 §5.2 "to assist the client
 * developer"): never the address the server resolved, the IANA range it matched, the DNS or socket
 * error, or a hostname the server saw on its own network. The detail stays in the audit events
 * (`fetch.refused`, `cimd.refused`) and their log lines.
 *
 * A stand-in fetcher throws SafeFetchErrors with the messages and fields the real fetcher gives
 * (packages/safe-fetch/src/address-check.ts, safe-fetch.ts); nothing is dialled.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { type SafeFetch, SafeFetchError, type SafeFetchReason } from '@gatehouse-oauth/safe-fetch';
import { generateKeyPair, SignJWT } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../src/clients/private-key-jwt.ts';
import { createLogger } from '../src/index.ts';
import { PUBLIC_FETCH_DESCRIPTIONS } from '../src/public-fetch-descriptions.ts';
import { CIMD_URL } from './support/stub-documents.ts';
import { APP_REDIRECT, createTestServer, ISSUER } from './support/test-server.ts';

const CLIENT_HOST = new URL(CIMD_URL).hostname;

interface NetworkFailure {
  reason: SafeFetchReason;
  /** Builds the error the real fetcher would throw for `url`. */
  error: (url: string) => SafeFetchError;
  /** Server-side network facts in that error: none may reach an answer; the audit detail keeps them. */
  secrets: string[];
}

const errno = (message: string, code: string) => Object.assign(new Error(message), { code });

/** One row per network-level reason, each with what the fetcher's message would carry. */
const failures: NetworkFailure[] = [
  {
    reason: 'special_purpose_address',
    // The issue's example: the client's host is a CNAME to an internal name that resolves to loopback.
    error: (url) =>
      new SafeFetchError(
        'special_purpose_address',
        'refused runsc.corp.internal -> 127.0.0.1: 127.0.0.0/8 Loopback',
        {
          url,
          address: '127.0.0.1',
          range: '127.0.0.0/8 Loopback',
        },
      ),
    secrets: ['127.0.0.1', '127.0.0.0/8', 'Loopback', 'runsc.corp.internal'],
  },
  {
    reason: 'special_purpose_address',
    error: (url) =>
      new SafeFetchError(
        'special_purpose_address',
        `refused ${CLIENT_HOST} -> 10.20.30.40: 10.0.0.0/8 Private-Use (RFC 1918)`,
        { url, address: '10.20.30.40', range: '10.0.0.0/8 Private-Use (RFC 1918)' },
      ),
    secrets: ['10.20.30.40', '10.0.0.0/8', 'Private-Use', 'RFC 1918'],
  },
  {
    reason: 'dns_failure',
    error: (url) =>
      new SafeFetchError('dns_failure', `cannot resolve ${CLIENT_HOST}: ESERVFAIL`, {
        url,
        cause: errno(`queryA ESERVFAIL ${CLIENT_HOST} via resolver.corp.internal (10.0.0.53)`, 'ESERVFAIL'),
      }),
    secrets: ['ESERVFAIL', 'queryA', 'resolver.corp.internal', '10.0.0.53'],
  },
  {
    reason: 'dns_failure',
    error: (url) =>
      new SafeFetchError('dns_failure', 'resolver returned a non-address: fd00:53::1%eth0', {
        url,
        cause: new TypeError('not an IP address: fd00:53::1%eth0'),
      }),
    secrets: ['fd00:53::1', 'eth0'],
  },
  {
    reason: 'connect_failed',
    error: (url) =>
      new SafeFetchError('connect_failed', 'connect failed: connect ECONNREFUSED 203.0.113.7:443', {
        url,
        cause: errno('connect ECONNREFUSED 203.0.113.7:443', 'ECONNREFUSED'),
      }),
    secrets: ['203.0.113.7', 'ECONNREFUSED'],
  },
  {
    reason: 'tls',
    error: (url) => {
      const message = `Hostname/IP does not match certificate's altnames: Host: ${CLIENT_HOST}. is not in the cert's altnames: DNS:egress-proxy.corp.internal`;
      return new SafeFetchError('tls', `TLS failed: ${message}`, {
        url,
        cause: errno(message, 'ERR_TLS_CERT_ALTNAME_INVALID'),
      });
    },
    secrets: ['egress-proxy.corp.internal', 'ERR_TLS_CERT_ALTNAME_INVALID', 'altnames'],
  },
  {
    reason: 'deadline_exceeded',
    error: (url) =>
      new SafeFetchError('deadline_exceeded', 'deadline exceeded: connect ETIMEDOUT 198.51.100.20:443', {
        url,
        cause: errno('connect ETIMEDOUT 198.51.100.20:443', 'ETIMEDOUT'),
      }),
    secrets: ['198.51.100.20', 'ETIMEDOUT'],
  },
  {
    reason: 'network_error',
    error: (url) =>
      new SafeFetchError(
        'network_error',
        'network error: other side closed - 192.0.2.44:443 (local 172.16.0.9:51234)',
        {
          url,
          cause: errno('other side closed', 'UND_ERR_SOCKET'),
        },
      ),
    secrets: ['192.0.2.44', '172.16.0.9', 'other side closed', 'UND_ERR_SOCKET'],
  },
  {
    reason: 'redirect_refused',
    error: (url) =>
      new SafeFetchError(
        'redirect_refused',
        'HTTP 302 redirect to http://169.254.169.254/latest/meta-data/ not followed',
        { url, status: 302, location: 'http://169.254.169.254/latest/meta-data/' },
      ),
    secrets: ['169.254.169.254', 'meta-data'],
  },
  {
    reason: 'content_type',
    // An egress proxy's block page: its media type and name are the proxy's, not the client's.
    error: (url) =>
      new SafeFetchError('content_type', 'not JSON: text/html; charset=x-corp-proxy', {
        url,
        value: 'text/html; charset=x-corp-proxy',
      }),
    secrets: ['x-corp-proxy'],
  },
];

/** Any IPv4 address, any IPv6 address (two colons or more), any IANA range or DNS/socket error code. */
const NETWORK_FACTS = [
  /\b\d{1,3}(\.\d{1,3}){3}\b/,
  /\b[0-9a-f]{0,4}:[0-9a-f]{0,4}:[0-9a-f:]*\b/i,
  /Loopback|Private-Use|Link-Local|RFC \d{3,4}/,
  /\bE[A-Z]{4,}\b|getaddrinfo|ERR_[A-Z_]+/,
];

function assertNothingInternal(answer: string, failure: NetworkFailure, where: string): void {
  for (const secret of failure.secrets)
    assert.ok(!answer.includes(secret), `${where} (${failure.reason}) reveals ${secret}: ${answer}`);
  // The client_id is echoed as the client sent it; anything else that looks like a network fact is not.
  const rest = answer.replaceAll(CIMD_URL, '');
  for (const pattern of NETWORK_FACTS)
    assert.doesNotMatch(rest, pattern, `${where} (${failure.reason}) reveals a network fact`);
}

/** A server whose every outbound fetch fails with `error`, and the log lines it writes. */
async function failingServer(error: (url: string) => SafeFetchError) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const fetch: SafeFetch = async (url) => {
    throw error(String(url));
  };
  const t = await createTestServer({
    outboundFetch: fetch,
    logger,
    // Failures are never cached: each request fetches again, so the rates must not refuse first.
    cimd: { fetchesPerSecond: 10_000, fetchesPerSecondPerHost: 1000 },
  });
  /** The reason on the request log line of the last answer (the stable reason is unchanged). */
  const lastReason = () => lines.findLast((line) => line.msg === 'request')?.reason;
  return { t, lines, lastReason };
}

describe('a failed CIMD fetch is answered without the server’s network facts (issue 18 #5)', () => {
  for (const failure of failures) {
    const sample = failure.error(CIMD_URL);
    it(`${failure.reason}: "${sample.message}" stays in the audit log`, async () => {
      const { t, lines, lastReason } = await failingServer(failure.error);
      const expected = `the client metadata document at ${CIMD_URL} could not be used: ${PUBLIC_FETCH_DESCRIPTIONS[failure.reason]}`;

      // The authorization endpoint's own error page (HTML, not redirected: the client is unknown).
      const page = await t.send(t.authorizationUrl({ client_id: CIMD_URL }));
      assert.equal(page.status, 400);
      assert.equal(lastReason(), `cimd_${failure.reason}`);
      const html = await page.text();
      assertNothingInternal(html, failure, 'the /authorize error page');
      assert.ok(html.includes(expected), `the page shows the fixed sentence: ${html}`);

      // The pushed authorization request and the token endpoint, unauthenticated JSON (RFC 6749 §5.2).
      const answers = [
        ['/par', await t.post('/par', t.authorizationParams({ client_id: CIMD_URL }))],
        [
          '/token',
          await t.post('/token', {
            grant_type: 'authorization_code',
            code: 'not-a-code',
            redirect_uri: APP_REDIRECT,
            client_id: CIMD_URL,
            code_verifier: 'x'.repeat(43),
          }),
        ],
      ] as const;
      for (const [where, response] of answers) {
        assert.equal(response.status, 401, where);
        assert.equal(lastReason(), `cimd_${failure.reason}`, where);
        const text = await response.text();
        assertNothingInternal(text, failure, where);
        assert.deepEqual(JSON.parse(text), { error: 'invalid_client', error_description: expected }, where);
      }

      // The detail is kept for the operator: in both audit events, and so in their log lines.
      const message = sample.message;
      const cimdRefused = await t.store.audit.list({ type: 'cimd.refused' });
      const fetchRefused = await t.store.audit.list({ type: 'fetch.refused' });
      assert.equal(cimdRefused.length, 3);
      assert.equal(fetchRefused.length, 3);
      for (const event of [...cimdRefused, ...fetchRefused]) {
        assert.equal(event.reason, failure.reason);
        assert.equal(event.detail?.message, message);
        const kept = JSON.stringify(event.detail);
        for (const secret of failure.secrets)
          assert.ok(kept.includes(secret), `the audit detail keeps ${secret}`);
      }
      const logged = lines.filter((line) => line.msg === 'cimd.refused' || line.msg === 'fetch.refused');
      assert.equal(logged.length, 6);
      for (const line of logged)
        assert.ok(JSON.stringify(line).includes(message), 'the log line keeps the message');
    });
  }
});

describe('a failed jwks_uri fetch is answered without the server’s network facts (issue 18 #5)', () => {
  const JWKS_URI = 'https://client.example.test/jwks.json';

  for (const failure of failures) {
    it(`${failure.reason}: /token and /revoke say what failed, the audit log says how`, async () => {
      const { t, lines, lastReason } = await failingServer(failure.error);
      const key = await generateKeyPair('ES256');
      await t.addClient({
        client_id: 'jwt-uri',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: JWKS_URI,
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [APP_REDIRECT],
      });
      const assertion = () =>
        new SignJWT({ iss: 'jwt-uri', sub: 'jwt-uri', aud: ISSUER, jti: randomUUID() })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuedAt(Math.floor(t.now() / 1000))
          .setExpirationTime(Math.floor(t.now() / 1000) + 60)
          .sign(key.privateKey);
      const expected = `the client jwks_uri could not be used: ${PUBLIC_FETCH_DESCRIPTIONS[failure.reason]}`;
      for (const [path, params] of [
        ['/token', { grant_type: 'refresh_token', refresh_token: 'not-a-token' }],
        ['/revoke', { token: 'not-a-token' }],
      ] as const) {
        const response = await t.post(path, {
          ...params,
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: await assertion(),
        });
        assert.equal(response.status, 401, path);
        assert.equal(lastReason(), 'jwks_unavailable', path);
        const text = await response.text();
        assertNothingInternal(text, failure, path);
        assert.deepEqual(JSON.parse(text), { error: 'invalid_client', error_description: expected }, path);
      }
      const audited = await t.store.audit.list({ type: 'fetch.refused' });
      assert.equal(audited.length, 2, 'failures are not cached: each request fetched');
      for (const event of audited) {
        assert.equal(event.detail?.url, JWKS_URI);
        const kept = JSON.stringify(event.detail);
        for (const secret of failure.secrets)
          assert.ok(kept.includes(secret), `the audit detail keeps ${secret}`);
      }
      assert.equal(lines.filter((line) => line.msg === 'fetch.refused').length, 2);
    });
  }
});

describe('the table of public descriptions', () => {
  it('is fixed text: no sentence carries an address, a range name or an error code', () => {
    for (const [reason, sentence] of Object.entries(PUBLIC_FETCH_DESCRIPTIONS)) {
      for (const pattern of NETWORK_FACTS) assert.doesNotMatch(sentence, pattern, reason);
      assert.match(sentence, /^[\x20-\x7e]+$/, `${reason}: ASCII, as RFC 6749 §5.2 requires`);
    }
  });
});
