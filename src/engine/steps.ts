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

interface Attempts {
  call: () => unknown;
  name: string;
  options: CallOptions;
  timeoutAt: number;
  clock: Clock;
  /** The execution was cancelled while the step ran: no further attempt starts. */
  stopped?: () => boolean;
}

/**
 * Runs the step, retrying as its policy says. A first attempt that returns a plain value (most
 * steps) is answered synchronously: no promise is made or awaited for it.
 */
export function runStep(
  call: () => unknown,
  name: string,
  options: CallOptions,
  timeoutAt: number,
  clock: Clock,
  stopped?: () => boolean,
): StepRun | Promise<StepRun> {
  let produced: unknown;
  try {
    produced = call();
  } catch (thrown) {
    return afterFailure({ call, name, options, timeoutAt, clock, stopped }, 1, thrown);
  }
  if (!isThenable(produced)) return { result: { ok: true, value: produced }, attempts: 1 };
  return Promise.resolve(produced).then(
    (value): StepRun => ({ result: { ok: true, value }, attempts: 1 }),
    (thrown: unknown) => afterFailure({ call, name, options, timeoutAt, clock, stopped }, 1, thrown),
  );
}

/** After attempt `attempt` failed with `thrown`: the error, or the attempts that follow. */
async function afterFailure(run: Attempts, attempt: number, thrown: unknown): Promise<StepRun> {
  const policy = run.options.retryPolicy ?? defaultRetryPolicy;
  for (;;) {
    const error = toError(thrown);
    const nonRetryable = isNonRetryable(error, run.options) || run.stopped?.() === true;
    const delay = nonRetryable ? null : (policy ?? never).delayBefore(attempt);
    if (delay === null || run.clock.now() + delay >= run.timeoutAt) {
      const exhausted = attempt > 1 && delay === null && !nonRetryable;
      return { result: { ok: false, error: exhausted ? retriesExhausted(run.name, attempt, error) : error }, attempts: attempt };
    }
    await run.clock.sleep(delay);
    attempt++;
    try {
      return { result: { ok: true, value: await run.call() }, attempts: attempt };
    } catch (again) {
      thrown = again;
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
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
