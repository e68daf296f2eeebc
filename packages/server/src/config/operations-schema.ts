import { z } from 'zod';
import { MIN_METRICS_TOKEN_LENGTH } from '../operations/operations-endpoints.ts';

/** /metrics, /healthz, /readyz (docs/operations.md, docs/decisions/0014-metrics-and-health.md). */
export const operationsSchema = z.strictObject({
  metricsToken: z
    .string()
    .min(MIN_METRICS_TOKEN_LENGTH)
    .optional()
    .describe(
      'serve GET /metrics on the main handler to requests carrying this bearer token; unset: /metrics only on server.operations',
    ),
  processMetrics: z
    .boolean()
    // Off in the library: process metrics describe the process, and a process may hold several servers.
    .default(false)
    .describe('prom-client process metrics (CPU, memory, event loop lag, GC) under their standard names'),
  readinessTimeoutMs: z
    .int()
    .min(1)
    .max(60_000)
    .default(2000)
    .describe('how long /readyz waits for the store before answering 503'),
});

export type OperationsOptions = z.input<typeof operationsSchema>;
