/** Retry policies for steps: when to try again, or null to give up. Pure functions of the attempt number. */

export interface RetryPolicy {
  /** Delay before attempt `attempt` (1 = the first retry), or null when there are no more attempts. */
  delayBefore(attempt: number): number | null;
}

export function exponential({ initialDelayMs = 100, factor = 2, maxDelayMs = 10_000, maxRetries = 5 } = {}): RetryPolicy {
  return {
    delayBefore: (attempt) => (attempt > maxRetries ? null : Math.min(initialDelayMs * factor ** (attempt - 1), maxDelayMs)),
  };
}

export function constant({ delayMs = 1000, maxRetries = 5 } = {}): RetryPolicy {
  return { delayBefore: (attempt) => (attempt > maxRetries ? null : delayMs) };
}

export function linear({ delayMs = 1000, maxRetries = 5 } = {}): RetryPolicy {
  return { delayBefore: (attempt) => (attempt > maxRetries ? null : delayMs * attempt) };
}

export const never: RetryPolicy = { delayBefore: () => null };

/** The default for ctx.run steps: 100 ms, doubling, at most 10 s apart, 5 retries. */
export const defaultRetryPolicy = exponential();
