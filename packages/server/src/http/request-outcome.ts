/**
 * What happened to a request, noted by the endpoint and written by the request logger as one line
 * per request. Keyed by the Request object, so endpoints stay plain `(Request) => Response`.
 */
export interface RequestOutcome {
  error?: string;
  reason?: string;
  clientId?: string;
}

const outcomes = new WeakMap<Request, RequestOutcome>();

export function noteOutcome(request: Request, outcome: RequestOutcome): void {
  outcomes.set(request, { ...outcomes.get(request), ...outcome });
}

export function outcomeOf(request: Request): RequestOutcome | undefined {
  return outcomes.get(request);
}
