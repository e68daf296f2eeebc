/**
 * The records the store contract suites (../store-contract*.ts) build their cases from, with the
 * same defaults everywhere: one place, so a new required member of a record is added once.
 */
import type { RefreshTokenRecord, TokenFamilyRecord } from '../../src/store/store.ts';

/** The contract suites' "now": explicit times around it, no clock. */
export const T = 1_750_000_000_000;
export const MINUTE = 60_000;

/** A live token family of user u1 for client c1 under grant g1, created at T, 30 days long. */
export function family(id: string, overrides: Partial<TokenFamilyRecord> = {}): TokenFamilyRecord {
  return {
    id,
    grantId: 'g1',
    clientId: 'c1',
    userId: 'u1',
    scope: ['read'],
    resources: ['https://api.example/'],
    authTime: T - MINUTE,
    createdAt: T,
    expiresAt: T + 30 * 24 * 60 * MINUTE,
    ...overrides,
  };
}

/** A refresh token of family-1, issued a minute before T, valid an hour after it. */
export function refreshToken(
  digest: string,
  overrides: Partial<RefreshTokenRecord> = {},
): RefreshTokenRecord {
  return { digest, familyId: 'family-1', issuedAt: T - MINUTE, expiresAt: T + 60 * MINUTE, ...overrides };
}

/** 0 … count − 1, for the concurrency cases. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}
