/** Reprise: durable functions for TypeScript. */
export { Reprise, type RepriseOptions, type Registered } from "./sdk/reprise.js";
export type { Handle } from "./sdk/handle.js";
export { checkExecutions, checkModule, type CheckReport, type Divergence } from "./sdk/check.js";
export { DeterminismError, type DeterminismMode, type DeterminismViolation } from "./engine/determinism.js";
export type { DurablePromiseView, SearchQuery } from "./sdk/promises.js";
export { Future, DurablePromise, type Context, type RaceResult } from "./engine/context.js";
export type { AsyncContext } from "./engine/async-context.js";
export { Options, type CallOptions } from "./engine/options.js";
export { exponential, constant, linear, never, defaultRetryPolicy, type RetryPolicy } from "./engine/retry.js";
export {
  RepriseError,
  PanicError,
  DivergenceError,
  RetriesExhaustedError,
  PromiseRejectedError,
  InvalidArgumentError,
  NotRegisteredError,
  ConflictError,
  StoreError,
} from "./engine/errors.js";
export type { Store } from "./store/store.js";
export type { PromiseRecord, PromiseState, TaskRecord, ScheduleRecord, Value } from "./protocol/records.js";
