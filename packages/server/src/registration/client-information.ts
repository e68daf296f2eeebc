import { OAuthError, type RegistrationMetadata, validateRegistrationRequest } from '@gatehouse-oauth/core';
import { isAddressAllowed } from '@gatehouse-oauth/safe-fetch';
import { CLIENT_ASSERTION_SIGNING_ALGS } from '../clients/private-key-jwt.ts';
import { checkKeyMetadata } from '../clients/static-client.ts';
import type { ServerContext } from '../context.ts';
import { digest } from '../crypto/digest.ts';
import type { ClientRecord } from '../store/store.ts';
import type { RegistrationSettings } from './registration-settings.ts';
import { storedStatementClaims, verifySoftwareStatement } from './software-statement.ts';

/**
 * What registration (RFC 7591 §3) and update (RFC 7592 §2.2) share: turning a request body into
 * the metadata to register, and a stored client into the client information response
 * (RFC 7591 §3.2.1, RFC 7592 §3).
 */
export interface PreparedMetadata {
  metadata: RegistrationMetadata;
  /** The statement in force, as sent, and its issuer (absent when none was used). */
  softwareStatement?: { statement: string; iss: string };
}

export async function prepareMetadata(
  body: Record<string, unknown>,
  settings: RegistrationSettings,
  now: number,
  storedStatement?: string,
): Promise<PreparedMetadata> {
  const { software_statement: sent, ...members } = body;
  let claims: Record<string, unknown> = {};
  let softwareStatement: PreparedMetadata['softwareStatement'];
  // DCR-MD-11: a server without trusted issuers MAY ignore statements; it then neither uses nor
  // echoes them. With issuers configured, a statement that is sent must verify.
  if (sent !== undefined && settings.issuers.size > 0) {
    const verified = await verifySoftwareStatement(sent, settings.issuers, now);
    claims = verified.metadata;
    softwareStatement = { statement: verified.statement, iss: verified.iss };
  } else if (storedStatement !== undefined) {
    // An update without a new statement keeps the one verified at registration in force.
    claims = storedStatementClaims(storedStatement);
    softwareStatement = { statement: storedStatement, iss: String(claims.iss ?? '') };
  } else if (settings.policy === 'software_statement') {
    throw new OAuthError('invalid_software_statement', {
      reason: 'statement_required',
      description: 'this server registers clients with a software_statement only',
    });
  }
  // DCR-MD-11 MUST: the statement's values take precedence over the plain JSON members.
  // URI members never name a special-purpose address: safe-fetch's IANA tables decide, with
  // loopback opened by the same development switch that opens loopback http (issue #18).
  const addressPolicy = { allowLoopback: settings.devLoopbackUris };
  const { metadata } = validateRegistrationRequest(
    { ...members, ...claims },
    {
      supportedSigningAlgs: CLIENT_ASSERTION_SIGNING_ALGS,
      // Decision 0042: a registration may list client_credentials beside authorization_code (the
      // tier decides whether it may use it; a registration of it alone stays refused: MCP-EXT-CC
      // clients are pre-registered or CIMD).
      supportedGrantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      isRefusedAddress: (address) => !isAddressAllowed(address, addressPolicy),
      allowLoopbackHttpUris: settings.devLoopbackUris,
    },
  );
  // private_key_jwt key rules, shared with pre-registered clients (no private key material, ...).
  checkKeyMetadata(metadata);
  return softwareStatement === undefined ? { metadata } : { metadata, softwareStatement };
}

export function usesSecret(metadata: { token_endpoint_auth_method: string }): boolean {
  const method = metadata.token_endpoint_auth_method;
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

export function registrationClientUri(ctx: Pick<ServerContext, 'endpoints'>, clientId: string): string {
  return `${ctx.endpoints.registration}/${encodeURIComponent(clientId)}`;
}

/**
 * The client information response: every registered field including the provisioned ones
 * (DCR-EP-8, DCR-MG-1). The client secret is only known when it was just generated (we keep a
 * digest), so it appears in the response that issues it; `client_secret_expires_at` always
 * accompanies a secret-based client (DCR-EP-9: REQUIRED when a secret is issued, 0 = never).
 */
export function clientInformation(
  ctx: Pick<ServerContext, 'endpoints'>,
  record: ClientRecord,
  secrets: { registrationAccessToken: string; clientSecret?: string },
): Record<string, unknown> {
  const { client_id: clientId, ...metadata } = record.metadata;
  const statement = record.registration?.softwareStatement;
  return {
    client_id: clientId,
    client_id_issued_at: Math.floor(record.createdAt / 1000),
    ...metadata,
    ...(secrets.clientSecret === undefined ? {} : { client_secret: secrets.clientSecret }),
    ...(usesSecret(record.metadata)
      ? {
          client_secret_expires_at:
            record.secretExpiresAt === undefined ? 0 : Math.floor(record.secretExpiresAt / 1000),
        }
      : {}),
    registration_access_token: secrets.registrationAccessToken,
    registration_client_uri: registrationClientUri(ctx, clientId),
    // DCR-EP-10 MUST: echoed unchanged.
    ...(statement === undefined ? {} : { software_statement: statement }),
  };
}

/**
 * "The same software from the same place" (docs/dcr.md, re-registration): a digest over the
 * software_id, the statement issuer, the initial access token that allowed it, and the whole
 * registered metadata with redirect_uris sorted. Any difference, however small, is another record.
 */
export function registrationFingerprint(
  metadata: RegistrationMetadata,
  context: { statementIssuer?: string; initialAccessTokenId?: string },
): string {
  const normalised = { ...metadata, redirect_uris: [...metadata.redirect_uris].sort() };
  return digest(
    JSON.stringify([
      'gatehouse-dcr-fingerprint-v1',
      context.statementIssuer ?? null,
      context.initialAccessTokenId ?? null,
      canonical(normalised),
    ]),
  );
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** The stored digest of a new client secret, and its expiry when secrets expire (RFC 7591 §3.2.1). */
export function secretFields(
  secret: string,
  settings: RegistrationSettings,
  now: number,
): { secretDigest: string; secretExpiresAt?: number } {
  return settings.secretLifetimeSeconds === 0
    ? { secretDigest: digest(secret) }
    : { secretDigest: digest(secret), secretExpiresAt: now + settings.secretLifetimeSeconds * 1000 };
}
