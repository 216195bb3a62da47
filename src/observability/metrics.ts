/**
 * Prometheus metrics for Reprise, in a registry of their own (never prom-client's global one, so
 * two servers in one process do not collide). Events are recorded through the small methods
 * below; `meterStore` (metered-store.ts) calls them from the store's traffic, and anything else
 * (an SDK hook, the store ticker) may call them directly. Scrape with `registerMetrics`.
 */
import { randomUUID } from "node:crypto";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { MAX_SEARCH_LIMIT } from "../protocol/limits.js";
import type { FlowStat, PromiseState } from "../protocol/records.js";
import { PROTOCOL_VERSION } from "../protocol/requests.js";
import { TAG } from "../protocol/tags.js";
import type { SpeculationOutcome } from "../store/backend.js";
import type { Store } from "../store/store.js";
import { inBackoff } from "../store/kernel/task-states.js";
import { BoundedLabels, MAX_FUNC_LABELS } from "./bounded-labels.js";

export type SettledState = Exclude<PromiseState, "pending">;

/** What can be recorded. Every duration is in milliseconds. */
export interface MetricsRecorder {
  executionStarted(func: string): void;
  /** `resolved` counts as completed, any rejection as failed. */
  executionSettled(func: string, state: SettledState, durationMs: number): void;
  /** A step's (or child workflow's) result was stored: its latency counts every attempt. */
  stepSettled(func: string, state: SettledState, durationMs: number): void;
  taskAcquired(): void;
  leaseExpired(count?: number): void;
  /** A request that changes the store committed (or failed) after `durationMs`. */
  storeWrite(kind: string, durationMs: number): void;
  /** A speculative transaction of the store ended so (PostgreSQL). */
  storeSpeculation(outcome: SpeculationOutcome): void;
}

export interface MetricsOptions {
  /** Distinct function names with a label of their own; later ones read as `other`. Default MAX_FUNC_LABELS. */
  maxFuncLabels?: number;
}

/** Pending timers are counted at scrape time up to this many; more reads as this number. */
export const MAX_COUNTED_TIMERS = 10_000;

/** Protocol kinds are a fixed few dozen; the cap only guards against a caller passing anything. */
const MAX_KIND_LABELS = 64;

const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const WRITE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export class Metrics implements MetricsRecorder {
  readonly registry: Registry;
  private readonly executionsStarted: Counter<"func">;
  private readonly executionsCompleted: Counter<"func">;
  private readonly executionsFailed: Counter<"func" | "state">;
  private readonly steps: Counter<"func" | "state">;
  private readonly stepDuration: Histogram<"func">;
  private readonly tasksAcquired: Counter;
  private readonly leaseExpiries: Counter;
  private readonly storeWriteDuration: Histogram<"kind">;
  private readonly storeSpeculations: Counter<"outcome">;
  private watched: Store | undefined;
  // Both come from the request: a function name from a tag, a kind from the body (checked by the
  // routes, but the recorder does not rely on that).
  private readonly funcs: BoundedLabels;
  private readonly kinds = new BoundedLabels(MAX_KIND_LABELS);

  constructor(registry = new Registry(), options: MetricsOptions = {}) {
    this.registry = registry;
    this.funcs = new BoundedLabels(options.maxFuncLabels ?? MAX_FUNC_LABELS);
    const registers = [registry];
    this.executionsStarted = new Counter({ name: "reprise_executions_started_total", help: "Executions started (root promises created).", labelNames: ["func"], registers });
    this.executionsCompleted = new Counter({ name: "reprise_executions_completed_total", help: "Executions that resolved.", labelNames: ["func"], registers });
    this.executionsFailed = new Counter({
      name: "reprise_executions_failed_total",
      help: "Executions that were rejected, canceled or timed out.",
      labelNames: ["func", "state"],
      registers,
    });
    this.steps = new Counter({ name: "reprise_steps_total", help: "Step results stored, by outcome.", labelNames: ["func", "state"], registers });
    this.stepDuration = new Histogram({
      name: "reprise_step_duration_seconds",
      help: "From a step's durable promise being created to its result being stored, retries included.",
      labelNames: ["func"],
      buckets: STEP_BUCKETS,
      registers,
    });
    this.tasksAcquired = new Counter({ name: "reprise_tasks_acquired_total", help: "Tasks acquired by a worker.", registers });
    this.leaseExpiries = new Counter({ name: "reprise_lease_expiries_total", help: "Task leases that ran out before their holder finished.", registers });
    this.storeWriteDuration = new Histogram({
      name: "reprise_store_write_duration_seconds",
      help: "Time for a request that changes the store to commit, by protocol kind.",
      labelNames: ["kind"],
      buckets: WRITE_BUCKETS,
      registers,
    });
    this.storeSpeculations = new Counter({
      name: "reprise_store_speculations_total",
      help: "PostgreSQL batches decided from the rows the server knows: committed in one statement, stale (decided again), or missed (needed a read).",
      labelNames: ["outcome"],
      registers,
    });
    const watchedStore = () => this.watched;
    new Gauge({
      name: "reprise_pending_timers",
      help: `Durable timers (sleeps) not yet fired, counted at scrape time (at most ${MAX_COUNTED_TIMERS}).`,
      registers,
      async collect() {
        const store = watchedStore();
        this.set(store ? await countPendingTimers(store) : 0);
      },
    });
    new Gauge({
      name: "reprise_tasks_in_backoff",
      help: `Pending tasks whose re-delivery is held back after repeated releases without progress (of at most ${MAX_COUNTED_TIMERS} pending tasks scanned).`,
      registers,
      async collect() {
        const store = watchedStore();
        this.set(store ? await countTasksInBackoff(store) : 0);
      },
    });
    // Flow control (docs/flow-control.md): one read per scrape, shared by both gauges.
    const funcs = this.funcs;
    let flows: Promise<FlowStat[]> | undefined;
    const readFlows = (): Promise<FlowStat[]> => {
      const store = watchedStore();
      if (!store) return Promise.resolve([]);
      flows ??= readFlowStats(store).finally(() => setTimeout(() => (flows = undefined), 0));
      return flows;
    };
    new Gauge({
      name: "reprise_flow_queued",
      help: "Executions held back by flow control (a concurrency or rate limit), waiting for room, per function.",
      labelNames: ["func"],
      registers,
      async collect() {
        this.reset();
        for (const flow of await readFlows()) this.inc({ func: funcs.label(flow.func) }, flow.queued);
      },
    });
    new Gauge({
      name: "reprise_flow_running",
      help: "Executions of flow-controlled functions holding a slot (running), per function.",
      labelNames: ["func"],
      registers,
      async collect() {
        this.reset();
        for (const flow of await readFlows()) this.inc({ func: funcs.label(flow.func) }, flow.running);
      },
    });
  }

  /** The store the scrape-time gauges read. */
  watch(store: Store): void {
    this.watched = store;
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  executionStarted(name: string): void {
    this.executionsStarted.inc({ func: this.funcs.label(name) });
  }

  executionSettled(name: string, state: SettledState, _durationMs: number): void {
    const func = this.funcs.label(name);
    if (state === "resolved") this.executionsCompleted.inc({ func });
    else this.executionsFailed.inc({ func, state });
  }

  stepSettled(name: string, state: SettledState, durationMs: number): void {
    const func = this.funcs.label(name);
    this.steps.inc({ func, state });
    this.stepDuration.observe({ func }, durationMs / 1000);
  }

  taskAcquired(): void {
    this.tasksAcquired.inc();
  }

  leaseExpired(count = 1): void {
    this.leaseExpiries.inc(count);
  }

  storeWrite(kind: string, durationMs: number): void {
    this.storeWriteDuration.observe({ kind: this.kinds.label(kind) }, durationMs / 1000);
  }

  storeSpeculation(outcome: SpeculationOutcome): void {
    this.storeSpeculations.inc({ outcome });
  }
}

// ---------------------------------------------------------------------------------------------

const COUNT_PAGE = 1000;

/** Pending promises tagged as timers, paged through the protocol search, up to MAX_COUNTED_TIMERS. */
async function countPendingTimers(store: Store): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const limit = Math.min(COUNT_PAGE, MAX_COUNTED_TIMERS - count);
    const response = await store.apply({
      kind: "promise.search",
      head: { corrId: randomUUID(), version: PROTOCOL_VERSION },
      data: { state: "pending", tags: { [TAG.timer]: "true" }, limit, ...(cursor === undefined ? {} : { cursor }) },
    });
    if (typeof response.data === "string") throw new Error(`counting pending timers failed: ${response.data}`);
    count += response.data.promises.length;
    cursor = response.data.cursor;
  } while (cursor !== undefined && count < MAX_COUNTED_TIMERS);
  return count;
}

/** Every function with flow limits or flow state (at most MAX_SEARCH_LIMIT: bounded labels). */
async function readFlowStats(store: Store): Promise<FlowStat[]> {
  const response = await store.apply({
    kind: "reprise.flow_stats",
    head: { corrId: randomUUID(), version: PROTOCOL_VERSION },
    data: { limit: MAX_SEARCH_LIMIT },
  });
  if (typeof response.data === "string") throw new Error(`reading flow control's counts failed: ${response.data}`);
  return response.data.flows;
}

/** Pending tasks in backoff (task-states.ts `inBackoff`), paged through task.search, scanning at most MAX_COUNTED_TIMERS. */
async function countTasksInBackoff(store: Store): Promise<number> {
  let count = 0;
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const response = await store.apply({
      kind: "task.search",
      head: { corrId: randomUUID(), version: PROTOCOL_VERSION },
      data: { state: "pending", limit: COUNT_PAGE, ...(cursor === undefined ? {} : { cursor }) },
    });
    if (typeof response.data === "string") throw new Error(`counting tasks in backoff failed: ${response.data}`);
    scanned += response.data.tasks.length;
    count += response.data.tasks.filter(inBackoff).length;
    cursor = response.data.cursor;
  } while (cursor !== undefined && scanned < MAX_COUNTED_TIMERS);
  return count;
}
