/**
 * What the admin API's document history operations take and answer (issue #14, item 2;
 * docs/document-history.md): a client's versions and fetch log, and the value-level diff of two
 * versions. Kept beside admin-schemas.ts (same conventions: snake_case, ISO 8601 times), one file
 * for this concern.
 */
import { z } from 'zod';
import { DOCUMENT_FETCH_OUTCOMES } from '../store/document-fetch-store.ts';

const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC' });

/** A version, by number or digest (cimd/document-history.ts). */
const versionName = z.string().min(1).max(100).meta({
  description: 'a version number (1 = the first accepted) or a digest, or a digest prefix of 8+ characters',
});

export const historyQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .meta({ description: 'fetches per page (default 50)' }),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'fetches with an id below this one: the previous answer’s next_before' }),
});

export const diffQuerySchema = z.strictObject({ from: versionName, to: versionName });

export const certificateSchema = z
  .strictObject({
    issuer: z.string().meta({ description: "the issuer's distinguished name" }),
    subject: z.string(),
    spki_sha256: z.string().meta({ description: 'SHA-256 of the DER SubjectPublicKeyInfo, base64' }),
    valid_from: timestamp,
    valid_to: timestamp,
  })
  .meta({ id: 'ServerCertificate', description: 'the certificate the TLS handshake presented' });

export const documentFetchSchema = z
  .strictObject({
    id: z.int().min(1).meta({ description: 'orders fetches; pass it as `before` to page on' }),
    at: timestamp.meta({ description: 'when the fetch began' }),
    duration_ms: z.int().min(0),
    outcome: z.enum(DOCUMENT_FETCH_OUTCOMES),
    reason: z.string().optional().meta({ description: 'why a fetch was refused or failed (docs/errors.md)' }),
    status: z.int().optional(),
    digest: z.string().optional().meta({ description: 'the body’s SHA-256, base64url' }),
    body: z.string().optional().meta({ description: 'a refused body, when it could be read' }),
    headers: z.record(z.string(), z.string()).optional(),
    remote_address: z.string().optional().meta({ description: 'the address dialled' }),
    tls: certificateSchema.optional(),
  })
  .meta({ id: 'DocumentFetch', description: 'one fetch of a client’s metadata document' });

export const documentVersionSchema = z
  .strictObject({
    number: z.int().min(1),
    digest: z.string(),
    fetched_at: timestamp.meta({ description: 'when this version was first fetched' }),
    last_seen_at: timestamp.meta({ description: 'when a fetch last returned it' }),
    headers: z.record(z.string(), z.string()),
    body: z.string().meta({ description: 'the document as fetched' }),
  })
  .meta({
    id: 'DocumentVersion',
    description: 'a version of a client’s metadata document the server accepted',
  });

export const documentHistorySchema = z
  .strictObject({
    client_id: z.string(),
    host: z.string(),
    host_first_seen_at: timestamp
      .optional()
      .meta({ description: 'when the host first served an accepted document (to any client)' }),
    versions: z.array(documentVersionSchema).meta({ description: 'newest first' }),
    fetches: z.array(documentFetchSchema).meta({ description: 'newest first, one page' }),
    next_before: z
      .int()
      .optional()
      .meta({ description: 'the `before` of the next page, when there may be one' }),
  })
  .meta({ id: 'DocumentHistory' });

const diffKeySchema = z
  .strictObject({
    thumbprint: z.string().meta({ description: 'RFC 7638 SHA-256 thumbprint, base64url' }),
    rfc7638: z.boolean().meta({ description: 'false: no RFC 7638 member set; the digest of the whole key' }),
    kid: z.string().optional(),
    kty: z.string().optional(),
  })
  .meta({ id: 'DiffKey' });

const versionRefSchema = z.strictObject({
  number: z.int().min(1),
  digest: z.string(),
  fetched_at: timestamp,
});

export const versionDiffSchema = z
  .strictObject({
    client_id: z.string(),
    from: versionRefSchema,
    to: versionRefSchema,
    redirect_uris: z.strictObject({ added: z.array(z.string()), removed: z.array(z.string()) }),
    keys: z.strictObject({
      added: z.array(diffKeySchema),
      removed: z.array(diffKeySchema),
      kept: z.array(diffKeySchema),
    }),
    jwks_uri: z.strictObject({ before: z.string().optional(), after: z.string().optional() }).optional(),
    members: z
      .array(
        z.strictObject({
          member: z.string(),
          before: z.unknown().optional().meta({ description: 'absent: unset before' }),
          after: z.unknown().optional().meta({ description: 'absent: unset after' }),
        }),
      )
      .meta({ description: 'every other member that differs, by name' }),
  })
  .meta({ id: 'VersionDiff', description: 'the value-level diff of two versions' });

export type DocumentHistoryJson = z.output<typeof documentHistorySchema>;
export type VersionDiffJson = z.output<typeof versionDiffSchema>;
