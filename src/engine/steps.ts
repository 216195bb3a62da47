/**
 * Running a step's function in this process: its retry policy, its non-retryable errors, and the
 * deadline past which no attempt starts. Waits between attempts go through the injected clock.
 */
import { SerializationError } from "../protocol/codec.js";
import type { Clock } from "./clock.js";
import { PanicError, RetriesExhaustedError, toError } from "./errors.js";
import type { CallOptions } from "./options.js";
import type { Result } from "./replay.js";
import { defaultRetryPolicy, never } from "./retry.js";

export interface StepRun {
  result: Result;
  attempts: number;
}

/** `stopped`: the execution was cancelled while the step ran; no further attempt starts. */
export async function runStep(call: () => unknown, name: string, options: CallOptions, timeoutAt: number, clock: Clock, stopped?: () => boolean): Promise<StepRun> {
  const policy = options.retryPolicy ?? defaultRetryPolicy;
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: { ok: true, value: await call() }, attempts: attempt };
    } catch (thrown) {
      const error = toError(thrown);
      const nonRetryable = isNonRetryable(error, options) || stopped?.() === true;
      const delay = nonRetryable ? null : (policy ?? never).delayBefore(attempt);
      if (delay === null || clock.now() + delay >= timeoutAt) {
        const exhausted = attempt > 1 && delay === null && !nonRetryable;
        return { result: { ok: false, error: exhausted ? retriesExhausted(name, attempt, error) : error }, attempts: attempt };
      }
      await clock.sleep(delay);
    }
  }
}

function isNonRetryable(error: Error, options: CallOptions): boolean {
  if (error instanceof SerializationError || error instanceof PanicError) return true;
  if ((error as { retryable?: unknown }).retryable === false) return true;
  return (options.nonRetryableErrors ?? []).some((kind) => (typeof kind === "string" ? error.name === kind : error instanceof kind));
}

function retriesExhausted(name: string, attempts: number, cause: Error): Error {
  const error = new RetriesExhaustedError("50", "RetriesExhausted", `${name} failed ${attempts} times; last error: ${cause.message}`);
  (error as { cause?: unknown }).cause = { name: cause.name, message: cause.message };
  return error;
}
