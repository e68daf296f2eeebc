/**
 * An in-memory OAuthClientProvider, the interface both MCP TypeScript SDK generations
 * (@modelcontextprotocol/sdk v1 and @modelcontextprotocol/client v2) drive their authorization
 * with. `redirectToAuthorization` records the URL instead of opening a browser; the test's user agent
 * then walks it.
 */
export interface RecordedAuthorization {
  url: URL | undefined;
}

export class InMemoryClientProvider {
  readonly clientMetadataUrl: string | undefined;
  readonly redirectUrl: string;
  readonly authorization: RecordedAuthorization = { url: undefined };
  private information: { client_id: string; client_secret?: string } | undefined;
  private stored: { access_token: string; refresh_token?: string; token_type: string } | undefined;
  private verifier = '';

  constructor(options: { redirectUrl: string; clientMetadataUrl?: string }) {
    this.redirectUrl = options.redirectUrl;
    this.clientMetadataUrl = options.clientMetadataUrl;
  }

  get clientMetadata() {
    return {
      client_name: 'Gatehouse e2e MCP client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: { client_id: string; client_secret?: string }) {
    this.information = information;
  }
  tokens() {
    return this.stored;
  }
  saveTokens(tokens: { access_token: string; refresh_token?: string; token_type: string }) {
    this.stored = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorization.url = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}
