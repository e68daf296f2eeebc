import { isOAuthError, type RegistrationMetadata } from '@gatehouse-oauth/core';
import type { ServerContext } from '../context.ts';
import { digest, randomToken } from '../crypto/digest.ts';
import { refuseBlockedRegistration } from '../governance/registration-admission.ts';
import { handleOAuthJson } from '../http/oauth-json.ts';
import type { RequestInfo } from '../http/request-info.ts';
import { noteOutcome } from '../http/request-outcome.ts';
import { jsonResponse, methodNotAllowed } from '../http/responses.ts';
import type { ClientRecord, ClientRegistration } from '../store/store.ts';
import { bearerToken, invalidToken, missingToken } from './bearer-token.ts';
import {
  clientInformation,
  prepareMetadata,
  registrationFingerprint,
  secretFields,
  usesSecret,
} from './client-information.ts';
import { newClientId, registerInstallation } from './installation-registration.ts';
import { type Charge, chargeRateLimits, type RefusalContext } from './rate-limit-refusal.ts';
import { readRegistrationBody } from './registration-body.ts';
import type { RegistrationSettings } from './registration-settings.ts';
import { applyScopeLimit } from './scope-limit.ts';
import { sourceKey } from './source-key.ts';

/**
 * The client registration endpoint, RFC 7591 §3: `POST {issuer}/register` with a JSON object of
 * client metadata → 201 and the client information (DCR-EP-7, DCR-EP-8), or 400 with an
 * RFC 7591 §3.2.2 error (DCR-ERR-1/2). The whole request (policy credential, statement, JSON) is
 * decided before anything is written (DCR-SEC-4). Policies, limits and the re-registration rule
 * are described in docs/dcr.md.
 */
export function registrationEndpoint(ctx: ServerContext, settings: RegistrationSettings) {
  return async (request: Request, info: RequestInfo = {}): Promise<Response> => {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    return handleOAuthJson(
      request,
      async () => {
        try {
          return await register(ctx, settings, request, info);
        } catch (error) {
          // Every refusal is audited. Rate-limit refusals are audited by chargeRateLimits, once per
          // key and window: under a flood one event each would turn the audit log into the storage
          // the limiter protects. Each is still logged.
          if (isOAuthError(error) && error.status !== 429) {
            await ctx.audit({
              type: 'client.registration_refused',
              reason: error.reason,
              detail: { error: error.error, ...remote(info) },
            });
          } else if (isOAuthError(error)) {
            ctx.logger.warn({ reason: error.reason, ...remote(info) }, 'registration rate limited');
          }
          throw error;
        }
      },
      ctx.logger,
    );
  };
}

async function register(
  ctx: ServerContext,
  settings: RegistrationSettings,
  request: Request,
  info: RequestInfo,
): Promise<Response> {
  const now = ctx.clock();
  const refusal: RefusalContext = {
    type: 'client.registration_rate_limited',
    what: 'registrations',
    detail: remote(info),
  };
  // DCR-EP-3 MAY rate-limit: the source first, before the body is even read; an IPv6 source is its
  // /64 (source-key.ts). Without an address (an embedder that does not pass one) this key is
  // skipped rather than shared by all.
  if (info.remoteAddress !== undefined) {
    await chargeRateLimits(
      ctx,
      settings.refusals,
      [{ limit: settings.limits.perIp, kind: 'ip', value: sourceKey(info.remoteAddress) }],
      now,
      refusal,
    );
  }
  // Then the global ceiling, charged only by requests their source allowed: one source's refused
  // flood does not spend everyone's budget, many sources together still meet the ceiling.
  await chargeRateLimits(
    ctx,
    settings.refusals,
    [{ limit: settings.limits.global, kind: 'global', value: '*' }],
    now,
    refusal,
  );
  // DCR-EP-3 / DCR-ERR-3: the initial access token is a bearer token; its absence is a 401 now,
  // its validity is decided (and a use counted) only once the rest of the request is acceptable.
  let initialAccessToken: string | undefined;
  if (settings.policy === 'initial_access_token') {
    initialAccessToken = bearerToken(request);
    if (initialAccessToken === undefined) throw missingToken('an initial access token is required');
  }
  const body = await readRegistrationBody(request);
  const prepared = await prepareMetadata(body, settings, now);
  const { softwareStatement } = prepared;
  // The token's scope limit is part of deciding the request (DCR-SEC-4), so it is read without
  // counting a use; an unknown token has no limit to apply and is refused by `use` below.
  const limit =
    initialAccessToken === undefined
      ? undefined
      : (await ctx.store.initialAccessTokens.get(digest(initialAccessToken)))?.scope;
  let metadata = applyScopeLimit(prepared.metadata, limit);
  // Issue #13: a blocked software_id or redirect host is refused before anything is charged or stored.
  await refuseBlockedRegistration(ctx, provisional(metadata, now), 'registration');

  // Keyed by more than the source (issue #4): the software and every https redirect host. Loopback
  // and private-use redirects are shared by all native clients and say nothing about the sender.
  const charges: Charge[] = [];
  if (metadata.software_id !== undefined) {
    charges.push({ limit: settings.limits.perSoftware, kind: 'software', value: metadata.software_id });
  }
  for (const host of redirectHosts(metadata)) {
    charges.push({ limit: settings.limits.perRedirectHost, kind: 'redirect_host', value: host });
  }
  await chargeRateLimits(ctx, settings.refusals, charges, now, refusal);

  let initialAccessTokenId: string | undefined;
  if (initialAccessToken !== undefined) {
    // Atomic: under concurrency at most maxUses registrations pass (store contract).
    const used = await ctx.store.initialAccessTokens.use(digest(initialAccessToken), now);
    if (used === undefined)
      throw invalidToken('initial_access_token_invalid', 'the initial access token is not valid');
    initialAccessTokenId = used.id;
    // A token's limits never change (store contract), so this is the check made above; it is
    // repeated against the record the use was counted on so the two cannot drift apart.
    metadata = applyScopeLimit(metadata, used.scope);
  }

  const fingerprint = recognisable(settings, metadata)
    ? registrationFingerprint(metadata, {
        ...(softwareStatement === undefined ? {} : { statementIssuer: softwareStatement.iss }),
        ...(initialAccessTokenId === undefined ? {} : { initialAccessTokenId }),
      })
    : undefined;
  const clientId = newClientId();
  const kept = {
    ...(softwareStatement === undefined ? {} : { softwareStatement: softwareStatement.statement }),
    ...(initialAccessTokenId === undefined ? {} : { initialAccessTokenId }),
  };
  let record: ClientRecord;
  let registrationAccessToken: string;
  let clientSecret: string | undefined;
  let shared: string | undefined;
  if (fingerprint !== undefined) {
    // Recognisable: an installation registration of the shared record (decision 0046).
    const installation = await registerInstallation(ctx, {
      clientId,
      metadata,
      fingerprint,
      registration: kept,
      now,
    });
    ({ record, token: registrationAccessToken, sharedClientId: shared } = installation);
  } else {
    registrationAccessToken = randomToken();
    clientSecret = usesSecret(metadata) ? randomToken() : undefined;
    const registration: ClientRegistration = { accessTokenDigest: digest(registrationAccessToken), ...kept };
    record = {
      clientId,
      kind: 'dcr',
      metadata: { client_id: clientId, ...metadata },
      ...(clientSecret === undefined ? {} : secretFields(clientSecret, settings, now)),
      createdAt: now,
      updatedAt: now,
      registration,
    };
    await ctx.store.clients.put(record);
  }
  noteOutcome(request, { clientId });
  await ctx.audit({
    type: 'client.registered',
    clientId,
    detail: {
      policy: settings.policy,
      auth_method: metadata.token_endpoint_auth_method,
      redirect_uris: metadata.redirect_uris,
      ...(metadata.software_id === undefined ? {} : { software_id: metadata.software_id }),
      ...(softwareStatement === undefined ? {} : { software_statement_iss: softwareStatement.iss }),
      ...(initialAccessTokenId === undefined ? {} : { initial_access_token: initialAccessTokenId }),
      ...(shared === undefined ? {} : { shared_registration: shared }),
      ...remote(info),
    },
  });
  return registered(ctx, record, {
    registrationAccessToken,
    ...(clientSecret === undefined ? {} : { clientSecret }),
  });
}

/**
 * Re-registration recognition (docs/dcr.md): only public clients (`none`: no secret to hand to a
 * second requester) that name their software. Confidential clients always get a new record, since
 * a secret must never be shared between instances (DCR-SEC-6). A recognisable registration is an
 * installation of the shared record (installation-registration.ts).
 */
function recognisable(settings: RegistrationSettings, metadata: RegistrationMetadata): boolean {
  return (
    settings.recogniseReRegistration &&
    metadata.software_id !== undefined &&
    metadata.token_endpoint_auth_method === 'none'
  );
}

function registered(
  ctx: ServerContext,
  record: ClientRecord,
  secrets: { registrationAccessToken: string; clientSecret?: string },
): Response {
  // DCR-EP-7 MUST: 201 Created; no-store because it carries credentials (jsonResponse).
  return jsonResponse(clientInformation(ctx, record, secrets), { status: 201 });
}

/** What the registration would be, for governance to decide on before it is made. */
function provisional(metadata: RegistrationMetadata, now: number): ClientRecord {
  return {
    clientId: '',
    kind: 'dcr',
    metadata: { client_id: '', ...metadata },
    createdAt: now,
    updatedAt: now,
  };
}

function redirectHosts(metadata: RegistrationMetadata): string[] {
  const hosts = new Set<string>();
  for (const uri of metadata.redirect_uris) {
    if (uri.startsWith('https://')) hosts.add(new URL(uri).hostname);
  }
  return [...hosts];
}

function remote(info: RequestInfo): { remote_address?: string } {
  return info.remoteAddress === undefined ? {} : { remote_address: info.remoteAddress };
}
