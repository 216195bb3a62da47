/**
 * Reprise: durable functions for TypeScript. Start with {@link Reprise}; a workflow receives a
 * {@link Context}. Guides: README.md, docs/workflows.md, docs/configuration.md.
 *
 * @packageDocumentation
 */
export { Reprise, type RepriseOptions, type Registered } from "./sdk/reprise.js";
export type { RegisterOptions, FlowKey } from "./sdk/registry.js";
export type { Handle } from "./sdk/handle.js";
export type { CancelResult } from "./engine/cancel-request.js";
export { checkExecutions, checkModule, type CheckReport, type Divergence } from "./sdk/check.js";
export { DeterminismError, type DeterminismMode, type DeterminismViolation } from "./engine/determinism.js";
export type { DurablePromiseView, SearchQuery, Promises } from "./sdk/promises.js";
// Named so users (and the API reference) can refer to `reprise.schedules` and the logLevel option's type.
export type { Schedules } from "./sdk/schedules.js";
export type { LogLevel } from "./observability/logger.js";
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
  CancelledError,
} from "./engine/errors.js";
export type { Store, PurgeOptions, PurgeReport } from "./store/store.js";
export type { StepRecord, StepAnswer } from "./protocol/step-record.js";
export type { FinishedRoot } from "./store/backend.js";
export type { Limits } from "./protocol/limits.js";
export type { PromiseRecord, PromiseState, TaskRecord, ScheduleRecord, Value } from "./protocol/records.js";
