/**
 * What happened to a request, noted by the endpoint and written by the request logger as one line
 * per request. Keyed by the Request object, so endpoints stay plain `(Request) => Response`.
 */
export interface RequestOutcome {
  error?: string;
  reason?: string;
  /**
   * The client the request named (a form or query `client_id`, HTTP Basic, a registration's path),
   * noted as soon as it is read so a refusal before the client is resolved still names it; then the
   * authenticated one. Written bounded in length: it is whatever the request sent.
   */
  clientId?: string;
}

const outcomes = new WeakMap<Request, RequestOutcome>();

export function noteOutcome(request: Request, outcome: RequestOutcome): void {
  const noted = outcomes.get(request);
  // Callers pass a fresh literal: the first is kept as it is, later notes are merged into it.
  if (noted === undefined) outcomes.set(request, outcome);
  else Object.assign(noted, outcome);
}

/** Notes the client_id a request named, if it named one (cheap: called before anything can refuse). */
export function noteNamedClient(request: Request, clientId: string | undefined): void {
  if (clientId !== undefined) noteOutcome(request, { clientId });
}

export function outcomeOf(request: Request): RequestOutcome | undefined {
  return outcomes.get(request);
}
