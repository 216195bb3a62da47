/**
 * The engine's only source of time and of deferred work. Production uses the system clock; tests
 * and the simulator inject a virtual one, so a workflow that sleeps for days, or a step retried
 * with backoff, runs in microseconds and the same way every time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` (not durably: a step's wait between attempts). */
  sleep(ms: number): Promise<void>;
  /** Runs `callback` once the work already queued (promise continuations, I/O) has had its turn. */
  defer(callback: () => void): void;
  /**
   * A repeating timer on this clock (the worker's heartbeats); returns its cancel. Absent, the
   * system's setInterval is used: only a simulated clock needs heartbeats in its own time.
   */
  every?(ms: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  defer: (callback) => void setImmediate(callback),
};
