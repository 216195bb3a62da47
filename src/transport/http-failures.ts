/**
 * What the HTTP transport and its event streams share about failure: the errors a caller sees,
 * and the backoff between attempts.
 */

export interface RetryOptions {
  /** Tries per request (and for the first connection of a subscription). Default 10. */
  maxAttempts?: number;
  /** Default 100 ms, doubling per attempt. */
  initialDelayMs?: number;
  /** Default 5 s. */
  maxDelayMs?: number;
}

/** The server could not be reached (or kept failing) after every retry. */
export class ServerUnreachableError extends Error {
  override name = "ServerUnreachableError";
  constructor(
    readonly url: string,
    override readonly cause: Error,
  ) {
    super(`cannot reach server at ${url}: ${cause.message}`);
  }
}

/** The server answered, but not with the protocol (e.g. 401 from a proxy, an HTML 404). */
export class UnexpectedAnswerError extends Error {
  override name = "UnexpectedAnswerError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A failure worth another attempt (a 5xx, a garbled answer); never seen by callers. */
export class RetryableError extends Error {}

export function backoff(retry: Required<RetryOptions>, attempt: number): number {
  const delay = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1));
  return delay / 2 + Math.random() * (delay / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** fetch reports "fetch failed" and hides the reason (ECONNREFUSED, ...) in `cause`. */
export function describeFetchError(error: Error): Error {
  const cause = error.cause;
  if (error.message === "fetch failed" && cause instanceof Error) return new Error(`${cause.message}`, { cause: error });
  return error;
}
