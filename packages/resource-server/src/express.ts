import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthenticateOptions, AuthInfo } from './auth-info.ts';
import type { ResourceServer } from './resource-server.ts';

/**
 * Express (and any connect-style `(req, res, next)` stack on Node's http) over the web-standard
 * core. Only Node's own request and response types are used, so Express is not a runtime or type
 * dependency: Express's `Request` and `Response` extend them.
 *
 * The adapter is deliberately thin: it hands `authenticate` a `Request` carrying just what the
 * checks read (method, path, `Authorization`, `DPoP`) and writes the refusal back as it is.
 */
type NodeRequest = IncomingMessage & { originalUrl?: string };
type Next = (error?: unknown) => void;

/** The request once `requireAccessToken` let it through: `req.auth`, as the MCP SDK's `requireBearerAuth` sets it. */
export type RequestWithAuth = NodeRequest & { auth?: AuthInfo };

/**
 * Express middleware: sets `req.auth` (the MCP SDK's Streamable HTTP transport passes it on to
 * tool handlers as `authInfo`) and calls `next()`, or answers the 400/401/403/503 itself.
 */
export function requireAccessToken(
  rs: ResourceServer,
  options: AuthenticateOptions = {},
): (req: NodeRequest, res: ServerResponse, next: Next) => Promise<void> {
  return async (req, res, next) => {
    try {
      const result = await rs.authenticate(toRequest(rs, req), options);
      if (!result.ok) return await sendResponse(res, result.response);
      for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
      (req as RequestWithAuth).auth = result.auth;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Express middleware serving the RFC 9728 metadata at its path-inserted URL; every other request
 * goes on to `next()`. Mount it with `app.use(protectedResourceMetadataHandler(rs))`.
 */
export function protectedResourceMetadataHandler(
  rs: ResourceServer,
): (req: NodeRequest, res: ServerResponse, next: Next) => Promise<void> {
  return async (req, res, next) => {
    try {
      const response = rs.handleMetadataRequest(toRequest(rs, req));
      if (response === undefined) return next();
      await sendResponse(res, response);
    } catch (error) {
      next(error);
    }
  };
}

function toRequest(rs: ResourceServer, req: NodeRequest): Request {
  // originalUrl: Express strips the mount path from req.url inside a router. Only the path is
  // read (DPoP htu, the metadata route); the origin is the resource's own (see resource-server.ts).
  const target = req.originalUrl ?? req.url ?? '/';
  const url = new URL(target.startsWith('/') ? target : `/${target}`, new URL(rs.resource).origin);
  const headers = new Headers();
  for (const name of ['authorization', 'dpop', 'access-control-request-headers']) {
    const value = req.headers[name];
    // Node keeps only the first Authorization header and joins repeated DPoP headers with ", ",
    // which authenticate refuses as more than one proof.
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(', '));
  }
  return new Request(url, { method: req.method ?? 'GET', headers });
}

/**
 * Writes a web-standard `Response` (a refusal from `authenticate` or `checkScopes`) to a Node/Express
 * response as it is: status, headers, body.
 */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  const body = response.body === null ? undefined : Buffer.from(await response.arrayBuffer());
  res.end(body);
}
