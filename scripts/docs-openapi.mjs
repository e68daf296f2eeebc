// `npm run docs:openapi`: writes docs/admin-api.openapi.json, the admin API's OpenAPI 3.1 document,
// generated from its zod schemas (packages/server/src/admin/admin-openapi.ts), exactly as the server
// serves it at <issuer>/admin/openapi.json. A test fails while the two differ.
import { writeFileSync } from 'node:fs';
import { adminOpenApiText } from '../packages/server/src/admin/admin-openapi.ts';

writeFileSync(new URL('../docs/admin-api.openapi.json', import.meta.url), adminOpenApiText());
