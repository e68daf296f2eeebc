import { OAuthError } from '@gatehouse-oauth/core';
import { LRUCache } from 'lru-cache';
import type { ServerContext } from '../context.ts';
import { digest, randomToken, safeEqual } from '../crypto/digest.ts';
import { admissionError } from '../governance/admission.ts';
import { refuseBlockedRegistration } from '../governance/registration-admission.ts';
import { handleOAuthJson } from '../http/oauth-json.ts';
import type { RequestInfo } from '../http/request-info.ts';
import { noteOutcome } from '../http/request-outcome.ts';
import { jsonResponse } from '../http/responses.ts';
import type { ClientRecord } from '../store/store.ts';
import { bearerToken, invalidToken, missingToken } from './bearer-token.ts';
import { clientInformation, prepareMetadata, secretFields, usesSecret } from './client-information.ts';
import { installationStays, writeUpdate } from './installation-registration.ts';
import {
  auditRefusals,
  type Charge,
  chargeRateLimits,
  keyOf,
  type Limit,
  type RefusalContext,
  rateLimited,
} from './rate-limit-refusal.ts';
import { readRegistrationBody } from './registration-body.ts';
import type { RegistrationSettings } from './registration-settings.ts';
import { applyScopeLimit, registeredScopeLimit } from './scope-limit.ts';
import { sourceKey } from './source-key.ts';

/**
 * The client configuration endpoint, RFC 7592 §2, at `{issuer}/register/{client_id}` (the
 * registration_client_uri the server hands out; DCR-MG-2). Every call carries the registration
 * access token as a bearer token (DCR-MG-3), matched by digest, in constant time, against the
 * client named in the URL. An unknown client and a wrong token get the same 401 (DCR-MG-5), so
 * the endpoint cannot be used to probe which client_ids exist. Failed attempts are rate-limited
 * per source and per (client_id, source) (DCR-MG-8, managementCharges).
 */
const ALLOW = 'GET, PUT, DELETE';
/** RFC 7592 §2.2: members an update MUST NOT carry. */
const FORBIDDEN_IN_UPDATE = [
  'registration_access_token',
  'registration_client_uri',
  'client_secret_expires_at',
  'client_id_issued_at',
] as const;
/** Compared against when there is no client, so both failures take the same path. */
const NO_CLIENT_DIGEST = digest('gatehouse: no such client');
/** How many penalised keys are remembered; keys are attacker-chosen, so the map is bounded. */
const MAX_PENALTIES = 10_000;

export function clientConfigurationEndpoint(ctx: ServerContext, settings: RegistrationSettings) {
  // A key whose failures exhausted its budget is refused outright until the wait is over, even with
  // a correct token: otherwise 429s would only rename the 401s of a guessing attack.
  // Key → end of its penalty (epoch ms); bounded by lru-cache, oldest penalty first (decision 0023).
  const penalties = new LRUCache<string, number>({ max: MAX_PENALTIES });
  return async (request: Request, clientId: string, info: RequestInfo = {}): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'PUT' && request.method !== 'DELETE') {
      // DCR-MG-3, DCR-MG-7: unsupported methods get 405 with Allow.
      return jsonResponse(
        { error: 'invalid_request', error_description: `method not allowed; use ${ALLOW}` },
        { status: 405, headers: { allow: ALLOW } },
      );
    }
    return handleOAuthJson(
      request,
      async () => {
        // The client_id in the path, so a refusal's log line names the client it was for.
        noteOutcome(request, { clientId });
        const now = ctx.clock();
        const limit = settings.limits.managementFailures;
        const charges = managementCharges(limit, clientId, info.remoteAddress);
        const refusal: RefusalContext = {
          type: 'client.management_rate_limited',
          what: 'failed attempts',
          ...(info.remoteAddress === undefined ? {} : { detail: { remote_address: info.remoteAddress } }),
        };
        const serving = charges.flatMap((charge) => {
          const until = penalties.peek(keyOf(charge));
          return until !== undefined && until > now
            ? [{ charge, retryAfter: Math.ceil((until - now) / 1000) }]
            : [];
        });
        if (serving.length > 0) {
          // Counted as refusals of their keys too (audited only when one opens a new window).
          await auditRefusals(ctx, settings.refusals, serving, now, refusal);
          throw rateLimited(Math.max(...serving.map((s) => s.retryAfter)), refusal.what);
        }
        let client: ClientRecord;
        let token: string;
        try {
          ({ client, token } = await authenticate(ctx, request, clientId));
        } catch (error) {
          try {
            await chargeRateLimits(ctx, settings.refusals, charges, now, refusal);
          } catch (limited) {
            const retry = Number((limited as OAuthError).headers['retry-after'] ?? '1');
            for (const charge of charges) penalties.set(keyOf(charge), now + retry * 1000);
            throw limited;
          }
          throw error;
        }
        if (request.method === 'GET') return read(ctx, settings, client, token, now);
        if (request.method === 'PUT') return update(ctx, settings, request, client, token, now);
        return remove(ctx, client);
      },
      ctx.logger,
    );
  };
}

/**
 * DCR-MG-8: failed attempts are limited per source (an IPv4 address or an IPv6 /64, source-key.ts)
 * and per (client_id, source), never per client_id alone: a per-client key let any stranger with
 * eleven bad tokens lock the owner out of its own registration (issue #18 finding 6). Guessing one
 * client's token from one source still meets the limit; guessing it from many sources meets one
 * limit per source, which against a 256-bit random token (randomToken) buys an attacker nothing.
 * The (client_id, source) key names the client in the audit event. Without an address (an embedder
 * that passes none) the client_id is the only key there is, and keeps the old per-client limit.
 */
function managementCharges(limit: Limit, clientId: string, remoteAddress: string | undefined): Charge[] {
  if (remoteAddress === undefined) return [{ limit, kind: 'client', value: clientId, clientId }];
  const source = sourceKey(remoteAddress);
  return [
    { limit, kind: 'ip', value: source },
    { limit, kind: 'client_source', value: `${clientId} ${source}`, clientId },
  ];
}

async function authenticate(
  ctx: ServerContext,
  request: Request,
  clientId: string,
): Promise<{ client: ClientRecord; token: string }> {
  const token = bearerToken(request);
  if (token === undefined) throw missingToken('a registration access token is required');
  const client = await ctx.store.clients.get(clientId);
  const expected =
    client?.kind === 'dcr' && client.registration !== undefined
      ? client.registration.accessTokenDigest
      : NO_CLIENT_DIGEST;
  // DCR-MG-2 MUST: the token must belong to the client in the URL; DCR-MG-5: unknown → 401 alike.
  if (!safeEqual(digest(token), expected) || client === undefined || expected === NO_CLIENT_DIGEST) {
    throw invalidToken('registration_access_token_invalid', 'the registration access token is not valid');
  }
  // Issue #13: a blocked client manages nothing (its grants were revoked when it was blocked).
  const decision = (await ctx.governance.current()).decide(client);
  if (decision.refusal === 'client_blocked' && ctx.governance.mode !== 'report-only')
    throw admissionError('client_blocked');
  return { client, token };
}

/** DCR-MG-4: 200 with the full client information; optionally a new registration access token. */
async function read(
  ctx: ServerContext,
  settings: RegistrationSettings,
  client: ClientRecord,
  token: string,
  now: number,
): Promise<Response> {
  let current = client;
  let registrationAccessToken = token;
  if (settings.rotateRegistrationAccessToken === 'on_read') {
    ({ record: current, token: registrationAccessToken } = rotated(client, now));
    await ctx.store.clients.put(current);
  }
  return jsonResponse(clientInformation(ctx, current, { registrationAccessToken }));
}

/**
 * DCR-MG-6: the body is the complete new metadata. Values replace, never merge: an omitted member
 * is deleted (or takes its RFC 7591 default again). client_id stays; the client never picks its
 * secret.
 */
async function update(
  ctx: ServerContext,
  settings: RegistrationSettings,
  request: Request,
  client: ClientRecord,
  token: string,
  now: number,
): Promise<Response> {
  forbidSharedRecord(client, 'updated');
  const body = await readRegistrationBody(request);
  for (const member of FORBIDDEN_IN_UPDATE) {
    if (Object.hasOwn(body, member)) {
      throw metadataError('update_forbidden_member', `${member} must not be sent in an update`);
    }
  }
  const { client_id: sentId, client_secret: sentSecret, ...members } = body;
  if (sentId !== client.clientId) {
    throw metadataError('client_id_mismatch', 'client_id is required and must be the current client_id');
  }
  if (
    sentSecret !== undefined &&
    (typeof sentSecret !== 'string' ||
      client.secretDigest === undefined ||
      !safeEqual(digest(sentSecret), client.secretDigest))
  ) {
    throw metadataError('client_secret_mismatch', 'client_secret must be the current client secret');
  }
  const prepared = await prepareMetadata(members, settings, now, client.registration?.softwareStatement);
  const { softwareStatement } = prepared;
  // A registration made under a scope-limited initial access token stays within that scope: an
  // update may not widen it, and one that omits scope gets the token's scope again, as the
  // registration did (DCR-MG-6 replace semantics, with the same default).
  const metadata = applyScopeLimit(prepared.metadata, await registeredScopeLimit(ctx, client));
  // A switch to a secret-based method issues a secret; a switch away drops it.
  let clientSecret: string | undefined;
  let secret: { secretDigest?: string; secretExpiresAt?: number } = {};
  if (usesSecret(metadata)) {
    if (client.secretDigest === undefined) {
      clientSecret = randomToken();
      secret = secretFields(clientSecret, settings, now);
    } else {
      secret = {
        secretDigest: client.secretDigest,
        ...(client.secretExpiresAt === undefined ? {} : { secretExpiresAt: client.secretExpiresAt }),
      };
    }
  }
  const { secretDigest: _oldDigest, secretExpiresAt: _oldExpiry, ...kept } = client;
  // An installation whose metadata changed is no longer the shared software (decision 0046).
  const shared = await installationStays(ctx, client, metadata, softwareStatement?.iss);
  const { sharedRegistration: _link, ...registration } = client.registration!;
  let record: ClientRecord = {
    ...kept,
    ...secret,
    metadata: { client_id: client.clientId, ...metadata },
    updatedAt: now,
    registration: {
      ...registration,
      ...(softwareStatement === undefined ? {} : { softwareStatement: softwareStatement.statement }),
      ...(shared === undefined ? {} : { sharedRegistration: shared }),
    },
  };
  await refuseBlockedRegistration(ctx, record, 'update');
  let registrationAccessToken = token;
  if (settings.rotateRegistrationAccessToken === 'on_update') {
    ({ record, token: registrationAccessToken } = rotated(record, now));
  }
  const left = await writeUpdate(ctx, record, client.registration?.sharedRegistration);
  await ctx.audit({
    type: 'client.updated',
    clientId: client.clientId,
    detail: {
      auth_method: metadata.token_endpoint_auth_method,
      redirect_uris: metadata.redirect_uris,
      ...(left === undefined ? {} : { left_shared_registration: left }),
    },
  });
  if (left !== undefined) {
    await ctx.clientLifecycle.installationLeft(left, client.clientId, {
      actor: `client:${client.clientId}`,
      reason: 'client_request',
    });
  }
  return jsonResponse(
    clientInformation(ctx, record, {
      registrationAccessToken,
      ...(clientSecret === undefined ? {} : { clientSecret }),
    }),
  );
}

/**
 * DCR-MG-7: 204; the client_id, secret and registration access token stop working, and every grant
 * and token family of the client is revoked at once, through the one client lifecycle (the record
 * goes first there, so no token can be minted for the client between revocation and deletion).
 */
async function remove(ctx: ServerContext, client: ClientRecord): Promise<Response> {
  forbidSharedRecord(client, 'deleted');
  await ctx.clientLifecycle.remove(client.clientId, {
    actor: `client:${client.clientId}`,
    reason: 'client_request',
  });
  return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
}

/**
 * A shared record made before decision 0046 is used by several installations of one software, each
 * holding its client_id; whoever registered last holds the token. Letting that holder rewrite or
 * delete the record would let any requester hijack or cut off the others: DCR-MG-5's 403. (A shared
 * record made since has a token nobody holds; its registrants manage their installations.)
 */
function forbidSharedRecord(client: ClientRecord, what: string): void {
  if (client.registration?.fingerprint === undefined) return;
  throw new OAuthError('invalid_client_metadata', {
    status: 403,
    reason: 'shared_registration',
    description: `this registration is shared by re-registering installations and cannot be ${what}`,
  });
}

function rotated(record: ClientRecord, now: number): { record: ClientRecord; token: string } {
  const token = randomToken();
  return {
    token,
    record: {
      ...record,
      updatedAt: now,
      registration: { ...record.registration!, accessTokenDigest: digest(token) },
    },
  };
}

function metadataError(reason: string, description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', { reason, description });
}
