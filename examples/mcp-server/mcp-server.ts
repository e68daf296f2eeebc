/**
 * A small, real MCP server (MCP TypeScript SDK, Streamable HTTP over Express) protected by
 * Gatehouse through @gatehouse-oauth/resource-server. It is what an MCP server author writes:
 *
 * - RFC 9728 protected-resource metadata at the path-inserted well-known URL
 *   (`/.well-known/oauth-protected-resource/mcp` for `…/mcp`), naming Gatehouse as its
 *   authorization server (MCP-19);
 * - every MCP request needs an access token for this resource (MCP-10: audience checked, 401 with
 *   `WWW-Authenticate … resource_metadata=…` otherwise), Bearer or DPoP-bound;
 * - tools with their own scopes: `whoami` and `list_notes` need `mcp:tools`, `add_note` also needs
 *   `notes:write`. Calling it without answers 403 `insufficient_scope` naming the scopes the call
 *   needs, and the client re-authorizes for them (step-up, MCP-16).
 *
 * `main.ts` starts it from the command line (`npm run example:mcp-server`); the end-to-end tests
 * (test/e2e/mcp-*.test.ts) mount the same app over TLS.
 */
import {
  createResourceServer,
  protectedResourceMetadataHandler,
  type RequestWithAuth,
  type ResourceServer,
  requireAccessToken,
  sendResponse,
} from '@gatehouse-oauth/resource-server';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Express, NextFunction, Request, Response } from 'express';
import { z } from 'zod';

/** Every MCP request needs this scope. */
export const TOOLS_SCOPE = 'mcp:tools';
/** `add_note` needs this one too: the step-up scope. */
export const NOTES_WRITE_SCOPE = 'notes:write';

/** Scopes per tool, beyond TOOLS_SCOPE: checked before the MCP transport sees the call. */
const TOOL_SCOPES: Readonly<Record<string, readonly string[]>> = {
  add_note: [NOTES_WRITE_SCOPE],
};

export interface McpExampleOptions {
  /** Gatehouse's issuer, e.g. `http://localhost:8080`. */
  issuer: string;
  /** This server's resource identifier (RFC 8707) and the URL clients connect to, e.g. `http://localhost:3000/mcp`. */
  resource: string;
  /** Host names the server answers to (DNS rebinding protection); default: the resource's host. */
  allowedHosts?: readonly string[];
  /** How the resource server reaches Gatehouse (its metadata and JWKS); default: global fetch. */
  fetch?: typeof fetch;
  /** Epoch milliseconds; tests move it to expire tokens. */
  now?: () => number;
}

export interface McpExample {
  app: Express;
  resourceServer: ResourceServer;
  /** The notes, per user (`sub`): in memory, gone on restart. */
  notes: Map<string, string[]>;
}

export function createMcpExample(options: McpExampleOptions): McpExample {
  const resource = new URL(options.resource);
  const resourceServer = createResourceServer({
    issuer: options.issuer,
    resource: options.resource,
    resourceName: 'Gatehouse example MCP server',
    // RFC 9728 scopes_supported: what this server understands. offline_access is the
    // authorization server's business, not listed here (MCP-17).
    scopesSupported: [TOOLS_SCOPE, NOTES_WRITE_SCOPE],
    // DPoP-bound tokens (RFC 9449) are accepted beside Bearer ones.
    dpop: { required: false },
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const notes = new Map<string, string[]>();
  const app = createMcpExpressApp({
    host: resource.hostname,
    allowedHosts: [...(options.allowedHosts ?? [resource.hostname])],
  });
  app.disable('x-powered-by');

  // RFC 9728 §3.1: the metadata of `https://host/mcp` lives at `/.well-known/oauth-protected-resource/mcp`.
  app.use(protectedResourceMetadataHandler(resourceServer));

  const handle = async (req: Request, res: Response) => {
    // Stateless Streamable HTTP: one server and transport per request, so no session state to lose.
    const server = mcpServer(notes);
    // No sessionIdGenerator: stateless mode.
    const transport = new StreamableHTTPServerTransport({});
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // req.auth, set by requireAccessToken, reaches the tools as `extra.authInfo`.
    await transport.handleRequest(req, res, req.body);
  };
  app.post(
    resource.pathname,
    requireAccessToken(resourceServer, { scopes: [TOOLS_SCOPE] }),
    requireToolScopes(resourceServer),
    (req, res, next) => void handle(req, res).catch(next),
  );
  // Stateless: no SSE stream to resume and no session to end.
  app.get(resource.pathname, (_req, res) => void res.status(405).set('allow', 'POST').end());
  app.delete(resource.pathname, (_req, res) => void res.status(405).set('allow', 'POST').end());
  return { app, resourceServer, notes };
}

/**
 * MCP-16 scope challenge: a `tools/call` for a tool that needs more than the token carries is
 * answered 403 `insufficient_scope` with every scope this call needs (RFC 6750 §3.1), so a client
 * that adds them to what it has (SDK v2, SEP-2350) and one that asks for exactly them (SDK v1)
 * both end with a token that works. `rs.checkScopes` gives the same answer `authenticate` gives for
 * a missing scope (the token's scheme, `algs` for DPoP, `resource_metadata`, `scopeImplies`).
 */
function requireToolScopes(rs: ResourceServer) {
  return (req: Request, res: Response, next: NextFunction) => {
    const auth = (req as Request & RequestWithAuth).auth;
    if (auth === undefined) return next(new Error('requireAccessToken must run before requireToolScopes'));
    const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
    const needed = new Set<string>();
    for (const message of messages) {
      const call = message as { method?: unknown; params?: { name?: unknown } } | null;
      if (call?.method !== 'tools/call' || typeof call.params?.name !== 'string') continue;
      for (const scope of TOOL_SCOPES[call.params.name] ?? []) needed.add(scope);
    }
    if (needed.size === 0) return next();
    const checked = rs.checkScopes(auth, [TOOLS_SCOPE, ...needed]);
    if (checked.ok) return next();
    void sendResponse(res, checked.response).catch(next);
  };
}

function mcpServer(notes: Map<string, string[]>): McpServer {
  const server = new McpServer({ name: 'gatehouse-example', version: '0.1.0' });
  const subject = (authInfo: AuthInfo | undefined) => String(authInfo?.extra?.sub ?? 'unknown');

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Who the access token was issued to: user, client, scopes.',
    },
    async (extra) => {
      const auth = extra.authInfo;
      const who = {
        sub: subject(auth),
        client_id: auth?.clientId,
        scopes: auth?.scopes ?? [],
        dpop_bound: auth?.extra?.jkt !== undefined,
      };
      return { content: [{ type: 'text', text: JSON.stringify(who) }], structuredContent: who };
    },
  );

  server.registerTool('list_notes', { title: 'List notes', description: 'Your notes.' }, async (extra) => {
    const mine = notes.get(subject(extra.authInfo)) ?? [];
    return { content: [{ type: 'text', text: mine.length === 0 ? '(no notes)' : mine.join('\n') }] };
  });

  server.registerTool(
    'add_note',
    {
      title: 'Add a note',
      description: `Saves a note. Needs the ${NOTES_WRITE_SCOPE} scope: the first call asks you to allow it.`,
      inputSchema: { text: z.string().min(1).max(1000) },
    },
    async ({ text }, extra) => {
      const sub = subject(extra.authInfo);
      const mine = notes.get(sub) ?? [];
      mine.push(text);
      notes.set(sub, mine);
      return { content: [{ type: 'text', text: `saved; you have ${mine.length} note(s)` }] };
    },
  );
  return server;
}
