import { generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  importPublicJwkForJws,
  publicJwkMembers,
  signCompactJws,
  verifyDpopProof,
  verifyJwsSignature,
} from '@gatehouse-oauth/core';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { round } from './driver.ts';
import { serveChild } from './lib/child.ts';
import { restartOnSources } from './lib/sources.ts';
import { DpopKey } from './oauth.ts';

/**
 * The crypto floor, on the server's core: how many ES256 access-token signatures and DPoP proof
 * verifications one core does with jose (the library both servers sign and verify with), with
 * enough operations in flight to keep WebCrypto's thread pool busy. A refresh with DPoP needs at
 * least one of each, so no server can refresh faster than 1 / (1/sign + 1/verify) per core.
 *
 * The same two operations with node:crypto's synchronous `sign` / `verify` on a KeyObject (what
 * Gatehouse does since decision 0018; the thumbprint stays jose's in both), so the two floors can
 * be compared on the same core. The refresh target stays measured against the jose floor.
 *
 * Also Gatehouse's own proof verifier (@gatehouse-oauth/core verifyDpopProof: node:crypto for the
 * signature since 0018, plus the RFC 9449 checks), to show what the checks around the signature cost.
 *
 * `node bench/floors.ts [durationMs]` prints the figures without the rest of the bench.
 */
export interface FloorResult {
  /** jose (WebCrypto) */
  es256SignPerSecond: number;
  /** jose (WebCrypto): jwtVerify with the embedded JWK, plus the RFC 7638 thumbprint. */
  dpopVerifyPerSecond: number;
  gatehouseDpopVerifyPerSecond: number;
  /** 1 / (1/sign + 1/verify) with jose: one sign and one proof verification per refresh. */
  refreshFloorPerSecond: number;
  /** node:crypto `sign` on a KeyObject, same header and claims. */
  nodeEs256SignPerSecond?: number;
  /** node:crypto: createPublicKey from the embedded JWK, `verify`, payload JSON, jose thumbprint. */
  nodeDpopVerifyPerSecond?: number;
  /** 1 / (1/sign + 1/verify) with node:crypto. */
  nodeRefreshFloorPerSecond?: number;
  /** jose calculateJwkThumbprint alone (a WebCrypto digest job), part of both verify figures. */
  jwkThumbprintPerSecond?: number;
  /** Process CPU time (all threads) per operation, in µs: steadier than rates on a shared core. */
  cpuMicrosPerOperation?: Record<
    | 'joseSign'
    | 'joseVerify'
    | 'nodeSign'
    | 'nodeVerify'
    | 'gatehouseVerify'
    | 'gatehouseVerifyKnownKeys'
    | 'joseThumbprint',
    number
  >;
}

interface Rate {
  /** Operations per wall-clock second, the best of the slices. */
  perSecond: number;
  /**
   * CPU time of the whole process (every thread, so WebCrypto's thread-pool work counts) per
   * operation, over all slices: steadier than the wall-clock rate when the core is shared.
   */
  cpuMicros: number;
}

async function rate(
  durationMs: number,
  inFlight: number,
  operation: (index: number) => Promise<unknown>,
  slices: number,
  previous?: Rate & { count: number; cpu: number },
): Promise<Rate & { count: number; cpu: number }> {
  // Warm-up: JIT and key import caches.
  if (previous === undefined) for (let index = 0; index < 200; index++) await operation(index);
  let count = 0;
  const until = performance.now() + durationMs / slices;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) await operation(count++);
    }),
  );
  const cpuUsed = process.cpuUsage(cpuBefore);
  const perSecond = (count / (performance.now() - started)) * 1000;
  const totalCount = count + (previous?.count ?? 0);
  const totalCpu = cpuUsed.user + cpuUsed.system + (previous?.cpu ?? 0);
  return {
    perSecond: Math.max(perSecond, previous?.perSecond ?? 0),
    cpuMicros: totalCpu / totalCount,
    count: totalCount,
    cpu: totalCpu,
  };
}

/**
 * Runs every operation in `slices` turns, interleaved, so that load from other processes on the
 * core hits all of them alike; the best turn's rate counts, as for the throughput scenarios.
 */
async function rates<K extends string>(
  durationMs: number,
  operations: Record<K, (index: number) => Promise<unknown>>,
  slices = 3,
): Promise<Record<K, Rate>> {
  const results = {} as Record<K, Rate & { count: number; cpu: number }>;
  for (let slice = 0; slice < slices; slice++) {
    for (const name of Object.keys(operations) as K[]) {
      results[name] = await rate(durationMs, 64, operations[name], slices, results[name]);
    }
  }
  return results;
}

export async function measureFloors(durationMs: number): Promise<FloorResult> {
  const { privateKey } = await generateKeyPair('ES256');
  const nodePrivateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const now = Math.floor(Date.now() / 1000);
  const claims = { client_id: 'https://client.bench.test/c/client.json', auth_time: now, scope: 'mcp:tools' };
  const sign = () =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer('http://localhost:8080')
      .setSubject(randomUUID())
      .setAudience('https://mcp.bench.test/mcp')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(privateKey);
  const nodeSign = async () =>
    signCompactJws(
      { alg: 'ES256', typ: 'at+jwt', kid: 'k1' },
      {
        ...claims,
        iss: 'http://localhost:8080',
        sub: randomUUID(),
        aud: 'https://mcp.bench.test/mcp',
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
      },
      nodePrivateKey,
    );
  const htu = 'http://localhost:8080/token';
  // Distinct keys and proofs, as a server sees them from many clients: no verification reuses an
  // imported key, and there are more keys than verifyDpopProof's recent-key cache holds (1024), so
  // its figure is the uncached cost. (A client reusing its key, as in refresh-dpop, costs less.)
  const proofs = Array.from({ length: 2048 }, () => new DpopKey().proof('POST', htu));
  const verify = async (index: number) => {
    const { protectedHeader } = await jwtVerify(proofs[index % proofs.length]!, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
      maxTokenAge: 300,
    });
    await calculateJwkThumbprint(protectedHeader.jwk!);
  };
  // The same work as `verify` (header, key from the embedded JWK, signature, payload, thumbprint)
  // with the signature step on node:crypto.
  const nodeVerify = async (index: number) => {
    const proof = proofs[index % proofs.length]!;
    const header = decodeProtectedHeader(proof);
    const jwk = publicJwkMembers(header.jwk as Record<string, unknown>)!;
    const key = importPublicJwkForJws(jwk, 'ES256');
    if (key === undefined || !verifyJwsSignature(proof, 'ES256', key))
      throw new Error('proof did not verify');
    JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString('utf8'));
    await calculateJwkThumbprint(jwk);
  };
  const gatehouseVerify = (index: number) =>
    verifyDpopProof(proofs[index % proofs.length]!, { htm: 'POST', htu, now: Date.now() });
  // 32 clients, each proving with its own key again and again (the refresh-dpop scenario's shape):
  // the key import and thumbprint come from the recent-key cache.
  const gatehouseVerifyKnownKeys = (index: number) =>
    verifyDpopProof(proofs[index % 32]!, { htm: 'POST', htu, now: Date.now() });
  const jwks = proofs.map((proof) => decodeProtectedHeader(proof).jwk as JWK);
  const thumbprint = (index: number) => calculateJwkThumbprint(jwks[index % jwks.length]!);
  const measured = await rates(durationMs, {
    sign,
    verify,
    nodeSign,
    nodeVerify,
    gatehouseVerify,
    gatehouseVerifyKnownKeys,
    thumbprint,
  });
  const es256SignPerSecond = measured.sign.perSecond;
  const dpopVerifyPerSecond = measured.verify.perSecond;
  const nodeEs256SignPerSecond = measured.nodeSign.perSecond;
  const nodeDpopVerifyPerSecond = measured.nodeVerify.perSecond;
  const cpu = (name: keyof typeof measured) => round(measured[name].cpuMicros, 1);
  return {
    es256SignPerSecond: round(es256SignPerSecond),
    dpopVerifyPerSecond: round(dpopVerifyPerSecond),
    gatehouseDpopVerifyPerSecond: round(measured.gatehouseVerify.perSecond),
    refreshFloorPerSecond: round(1 / (1 / es256SignPerSecond + 1 / dpopVerifyPerSecond)),
    nodeEs256SignPerSecond: round(nodeEs256SignPerSecond),
    nodeDpopVerifyPerSecond: round(nodeDpopVerifyPerSecond),
    nodeRefreshFloorPerSecond: round(1 / (1 / nodeEs256SignPerSecond + 1 / nodeDpopVerifyPerSecond)),
    jwkThumbprintPerSecond: round(measured.thumbprint.perSecond),
    cpuMicrosPerOperation: {
      joseSign: cpu('sign'),
      joseVerify: cpu('verify'),
      nodeSign: cpu('nodeSign'),
      nodeVerify: cpu('nodeVerify'),
      gatehouseVerify: cpu('gatehouseVerify'),
      gatehouseVerifyKnownKeys: cpu('gatehouseVerifyKnownKeys'),
      joseThumbprint: cpu('thumbprint'),
    },
  };
}

/** The floors as the bench prints them: jose first (what the refresh target is measured against). */
export function describeFloors(f: FloorResult): string[] {
  const lines = [
    `floors (one core, jose): ES256 sign ${f.es256SignPerSecond}/s, DPoP proof verify ${f.dpopVerifyPerSecond}/s ` +
      `(Gatehouse verifyDpopProof ${f.gatehouseDpopVerifyPerSecond}/s); refresh floor 1/(1/sign+1/verify) = ${f.refreshFloorPerSecond}/s`,
  ];
  if (f.nodeEs256SignPerSecond !== undefined) {
    lines.push(
      `floors (one core, node:crypto sign/verify on a KeyObject): ES256 sign ${f.nodeEs256SignPerSecond}/s, ` +
        `DPoP proof verify ${f.nodeDpopVerifyPerSecond}/s; refresh floor ${f.nodeRefreshFloorPerSecond}/s ` +
        `(jose JWK thumbprint alone ${f.jwkThumbprintPerSecond}/s)`,
    );
  }
  const c = f.cpuMicrosPerOperation;
  if (c !== undefined) {
    lines.push(
      `floors, CPU µs per operation (all threads): ES256 sign jose ${c.joseSign} / node:crypto ${c.nodeSign}; ` +
        `DPoP proof verify jose ${c.joseVerify} / node:crypto ${c.nodeVerify} (Gatehouse verifyDpopProof ${c.gatehouseVerify}, ` +
        `${c.gatehouseVerifyKnownKeys} when the key was seen before; ` +
        `jose thumbprint ${c.joseThumbprint})`,
    );
  }
  return lines;
}

if (import.meta.main) {
  if (process.send === undefined) {
    // Run by hand: `taskset -c 0 node bench/floors.ts 3000`.
    restartOnSources();
    const result = await measureFloors(Number(process.argv[2] ?? 3000));
    for (const line of describeFloors(result)) console.log(line);
  } else {
    serveChild({}, async (message) => {
      if (message.type === 'floors') return measureFloors(Number(message.durationMs));
      return undefined;
    });
  }
}
