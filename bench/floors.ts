import { randomUUID } from 'node:crypto';
import { verifyDpopProof } from '@gatehouse/core';
import { calculateJwkThumbprint, EmbeddedJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { round } from './driver.ts';
import { serveChild } from './lib/child.ts';
import { DpopKey } from './oauth.ts';

/**
 * The crypto floor, on the server's core: how many ES256 access-token signatures and DPoP proof
 * verifications one core does with jose (the library both servers sign and verify with), with
 * enough operations in flight to keep WebCrypto's thread pool busy. A refresh with DPoP needs at
 * least one of each, so no server can refresh faster than 1 / (1/sign + 1/verify) per core.
 *
 * Also Gatehouse's own proof verifier (@gatehouse/core verifyDpopProof: jose plus the RFC 9449
 * checks), to show what the checks around the signature cost.
 */
export interface FloorResult {
  es256SignPerSecond: number;
  dpopVerifyPerSecond: number;
  gatehouseDpopVerifyPerSecond: number;
  /** 1 / (1/sign + 1/verify): one sign and one proof verification per refresh. */
  refreshFloorPerSecond: number;
}

async function rate(durationMs: number, inFlight: number, operation: (index: number) => Promise<unknown>) {
  // Warm-up: JIT and key import caches.
  for (let index = 0; index < 200; index++) await operation(index);
  let count = 0;
  const until = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) await operation(count++);
    }),
  );
  return (count / (performance.now() - started)) * 1000;
}

export async function measureFloors(durationMs: number): Promise<FloorResult> {
  const { privateKey } = await generateKeyPair('ES256');
  const now = Math.floor(Date.now() / 1000);
  const sign = () =>
    new SignJWT({ client_id: 'https://client.bench.test/c/client.json', auth_time: now, scope: 'mcp:tools' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer('http://localhost:8080')
      .setSubject(randomUUID())
      .setAudience('https://mcp.bench.test/mcp')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(privateKey);
  const htu = 'http://localhost:8080/token';
  // Distinct keys and proofs, as a server sees them: no verification reuses an imported key.
  const proofs = Array.from({ length: 1000 }, () => new DpopKey().proof('POST', htu));
  const verify = async (index: number) => {
    const { protectedHeader } = await jwtVerify(proofs[index % proofs.length]!, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
      maxTokenAge: 300,
    });
    await calculateJwkThumbprint(protectedHeader.jwk!);
  };
  const gatehouseVerify = (index: number) =>
    verifyDpopProof(proofs[index % proofs.length]!, { htm: 'POST', htu, now: Date.now() });
  const es256SignPerSecond = await rate(durationMs, 64, sign);
  const dpopVerifyPerSecond = await rate(durationMs, 64, verify);
  const gatehouseDpopVerifyPerSecond = await rate(durationMs, 64, gatehouseVerify);
  return {
    es256SignPerSecond: round(es256SignPerSecond),
    dpopVerifyPerSecond: round(dpopVerifyPerSecond),
    gatehouseDpopVerifyPerSecond: round(gatehouseDpopVerifyPerSecond),
    refreshFloorPerSecond: round(1 / (1 / es256SignPerSecond + 1 / dpopVerifyPerSecond)),
  };
}

if (import.meta.main) {
  serveChild({}, async (message) => {
    if (message.type === 'floors') return measureFloors(Number(message.durationMs));
    return undefined;
  });
}
