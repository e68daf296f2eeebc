import type { ServerContext } from '../context.ts';
import { corsEndpoint, preflightResponse } from '../http/cors.ts';
import type { ServerApp } from '../http/server-app.ts';
import { authorizationEndpoint } from './authorization-endpoint.ts';
import { introspectionEndpoint } from './introspection-endpoint.ts';
import { jwksEndpoint, metadataEndpoint } from './metadata-endpoint.ts';
import { pushedAuthorizationRequestEndpoint } from './pushed-authorization-request-endpoint.ts';
import { revocationEndpoint } from './revocation-endpoint.ts';
import { tokenEndpoint } from './token-endpoint.ts';

/**
 * The protocol surface: what OAuth clients and resource servers call. Routes live under the
 * issuer's path; the well-known documents are at the root with the issuer path inserted (RFC 8414
 * §3.1), and also appended for OpenID-style discovery (MCP-2 lists both).
 */
export function mountProtocolRoutes(app: ServerApp, ctx: ServerContext): void {
  const base = ctx.basePath;
  const metadata = metadataEndpoint(ctx);
  for (const path of [
    `/.well-known/oauth-authorization-server${base}`,
    `/.well-known/openid-configuration${base}`,
    `${base}/.well-known/openid-configuration`,
    `${base}/.well-known/oauth-authorization-server`,
  ]) {
    app.get(path, metadata);
    if (ctx.cors) app.options(path, () => preflightResponse(['GET']));
  }
  app.get(`${base}/jwks`, jwksEndpoint(ctx));
  if (ctx.cors) app.options(`${base}/jwks`, () => preflightResponse(['GET']));
  const authorize = authorizationEndpoint(ctx);
  app.on(['GET', 'POST'], `${base}/authorize`, (c) => authorize(c.req.raw));
  // AT-13: CORS (with preflight) on token, revocation and PAR when configured (http/cors.ts).
  const token = corsEndpoint(tokenEndpoint(ctx), ['POST'], ctx.cors);
  const revoke = corsEndpoint(revocationEndpoint(ctx), ['POST'], ctx.cors);
  const introspect = introspectionEndpoint(ctx);
  app.all(`${base}/token`, (c) => token(c.req.raw));
  app.all(`${base}/revoke`, (c) => revoke(c.req.raw));
  app.all(`${base}/introspect`, (c) => introspect(c.req.raw));
  // RFC 9126 §2: pushed authorization requests (docs/decisions/0010-par.md).
  const par = corsEndpoint(pushedAuthorizationRequestEndpoint(ctx), ['POST'], ctx.cors);
  app.all(`${base}/par`, (c) => par(c.req.raw));
}
