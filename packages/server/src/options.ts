import type { Logger } from 'pino';
import type { Store } from './store/store.ts';

/** A protected resource (RFC 8707 / RFC 9728) this server issues tokens for. */
export interface ResourceOptions {
  /** The resource identifier; becomes the access token `aud` exactly as written here. */
  uri: string;
  /** Scopes a token for this resource may carry. */
  scopes: readonly string[];
  /** Scopes granted when a request for this resource names none. */
  defaultScopes?: readonly string[];
  /** Shown on the consent page. */
  name?: string;
}

export interface Lifetimes {
  /** RFC 9068 access token lifetime. Short, because a JWT is verified without calling us (MCP-11). */
  accessTokenSeconds: number;
  /** Lifetime of each refresh token; rotation issues a new one each time. */
  refreshTokenSeconds: number;
  /** Absolute lifetime of a token family (one login): refreshing never extends it. */
  tokenFamilySeconds: number;
  /** Window in which re-presenting a just-rotated refresh token is a parallel refresh, not theft. */
  refreshGraceSeconds: number;
  authorizationCodeSeconds: number;
  /** How long a user has to log in and consent. */
  authorizationRequestSeconds: number;
  loginSessionSeconds: number;
}

export const defaultLifetimes: Lifetimes = {
  accessTokenSeconds: 300,
  refreshTokenSeconds: 14 * 24 * 3600,
  tokenFamilySeconds: 90 * 24 * 3600,
  refreshGraceSeconds: 10,
  authorizationCodeSeconds: 60,
  authorizationRequestSeconds: 600,
  loginSessionSeconds: 8 * 3600,
};

export interface AuthorizationServerOptions {
  /** RFC 8414 issuer: https (http only for loopback development), no query, no fragment. */
  issuer: string;
  store: Store;
  resources?: readonly ResourceOptions[];
  /** Resource used when a request names none. Without it such tokens are audience-bound to the issuer. */
  defaultResource?: string;
  lifetimes?: Partial<Lifetimes>;
  /** Epoch milliseconds; injectable so tests control time. */
  clock?: () => number;
  logger?: Logger;
  /** Product name on the pages. */
  serviceName?: string;
}
