/**
 * A Store that records metrics from the requests it carries: how long writes take, executions
 * started and settled, step results, tasks acquired. Counting at the store sees every SDK (ours
 * over HTTP or embedded, and @resonatehq/sdk) the same way. A change is counted only by the
 * request that made it (a record created or settled within the request), so retries and
 * idempotent repeats count once.
 *
 * Not seen here: what the store does by itself in `tick` (timeouts, lease expiries, schedules);
 * those go through MetricsRecorder from the ticker.
 */
import { isExecutionRoot } from "../protocol/calls.js";
import { READ_KINDS } from "../protocol/read-kinds.js";
import type { PromiseRecord } from "../protocol/records.js";
import type { Request, RequestKind, Response, SuccessData } from "../protocol/requests.js";
import { STATUS } from "../protocol/requests.js";
import { TAG } from "../protocol/tags.js";
import type { Store } from "../store/store.js";
import { funcOf } from "../tree/build-tree.js";
import type { MetricsRecorder, SettledState } from "./metrics.js";

const STEP_KINDS: ReadonlySet<string> = new Set(["step", "workflow"]);

export function meterStore(store: Store, metrics: MetricsRecorder): Store {
  return {
    async apply<R extends Request>(req: R, now?: number): Promise<Response<R["kind"]>> {
      if (READ_KINDS.has(req.kind)) return store.apply(req, now);
      const started = performance.now();
      const window = { from: now ?? Date.now(), to: now ?? Number.POSITIVE_INFINITY };
      try {
        const response = await store.apply(req, now);
        if (now === undefined) window.to = Date.now();
        record(metrics, response as Response, window);
        return response;
      } finally {
        metrics.storeWrite(req.kind, performance.now() - started);
      }
    },
    async applyBatch(reqs: readonly Request[], now?: number): Promise<Response[]> {
      const started = performance.now();
      const window = { from: now ?? Date.now(), to: now ?? Number.POSITIVE_INFINITY };
      try {
        const responses = await store.applyBatch(reqs, now);
        if (now === undefined) window.to = Date.now();
        responses.forEach((response, index) => {
          if (!READ_KINDS.has(reqs[index]!.kind)) record(metrics, response, window);
        });
        return responses;
      } finally {
        metrics.storeWrite("reprise.batch", performance.now() - started);
      }
    },
    tick: (now) => store.tick(now),
    nextDeadline: () => store.nextDeadline(),
    onMessage: (listener) => store.onMessage(listener),
    onTick: store.onTick?.bind(store),
    onOtherCommits: store.onOtherCommits?.bind(store),
    onSpeculation: store.onSpeculation?.bind(store),
    purge: store.purge?.bind(store),
    finishedRoot: store.finishedRoot?.bind(store),
    close: () => store.close(),
  };
}

// ---------------------------------------------------------------------------------------------

interface Window {
  from: number;
  to: number;
}

function record(metrics: MetricsRecorder, response: Response, window: Window): void {
  if (response.head.status !== STATUS.ok) return;
  switch (response.kind) {
    case "task.acquire":
      metrics.taskAcquired();
      return;
    case "task.create": {
      const data = succeeded(response);
      if (data.task.state === "acquired") metrics.taskAcquired();
      return recordPromise(metrics, data.promise, window, "created");
    }
    case "promise.create":
      return recordPromise(metrics, succeeded(response).promise, window, "created");
    case "promise.settle":
    case "task.fulfill":
      return recordPromise(metrics, succeeded(response).promise, window);
    case "task.fence":
      return record(metrics, succeeded(response).action, window);
    default:
      return;
  }
}

/** The data of a response already known to be a 200. */
function succeeded<K extends RequestKind>(response: Response<K>): SuccessData[K] {
  return response.data as SuccessData[K];
}

/**
 * Counts the creation or settlement of `promise` if it happened inside this request. A create
 * ("created") counts a root's settlement only if it created that root: one that found the root of
 * an earlier request (the same execution run again) answers with its settlement, which may fall in
 * the same millisecond as this request's start. (A step's create carries the step's start time as
 * createdAt, so a step is told by its settlement alone.)
 */
function recordPromise(metrics: MetricsRecorder, promise: PromiseRecord, window: Window, by: "created" | "settled" = "settled"): void {
  const within = (at: number | undefined) => at !== undefined && at >= window.from && at <= window.to;
  const root = isExecutionRoot(promise);
  const func = funcOf(promise) ?? "unknown";
  if (root && promise.state === "pending" && within(promise.createdAt)) metrics.executionStarted(func);
  if (promise.state === "pending" || !within(promise.settledAt) || (root && by === "created" && !within(promise.createdAt))) return;
  const durationMs = promise.settledAt! - promise.createdAt;
  const state = promise.state as SettledState;
  if (root) metrics.executionSettled(func, state, durationMs);
  else if (isStep(promise)) metrics.stepSettled(func, state, durationMs);
}

/** A Reprise step or child workflow; for another SDK, a promise of local scope. */
function isStep(promise: PromiseRecord): boolean {
  const kind = promise.tags[TAG.kind];
  return kind === undefined ? promise.tags[TAG.scope] === "local" : STEP_KINDS.has(kind);
}
