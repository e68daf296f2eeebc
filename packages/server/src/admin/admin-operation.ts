import type { z } from 'zod';
import type { AdminTokenScope } from '../store/store.ts';

export interface AdminOperation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI path template, below the issuer's path (or the root of the admin listener). */
  path: string;
  scope: AdminTokenScope;
  summary: string;
  description?: string;
  parameters?: z.ZodObject;
  /** Query parameters, parsed by this schema (a refusal is `parameter_invalid`). */
  query?: z.ZodObject;
  body?: z.ZodType;
  answer: z.ZodType;
  /** The answer's media type when it is not one JSON document: JSON Lines, one `answer` per line. */
  answerType?: 'application/jsonl';
  /** Refusals besides 401 (every operation) and 403 (every write operation). */
  refusals: readonly ('400' | '404' | '409')[];
}
