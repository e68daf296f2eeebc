export * from './client-metadata.ts';
export * from './oauth-error.ts';
export * from './pkce.ts';
export * from './redirect-uri.ts';
export * from './request-parameters.ts';
export * from './resource-indicator.ts';
export * from './scope.ts';
