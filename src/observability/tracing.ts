/**
 * OpenTelemetry spans for executions and steps, through `@opentelemetry/api` only: without a
 * registered tracer provider every span is a no-op and costs next to nothing.
 *
 * A run of an execution is one span (`execution <func>`); each step, child workflow or other
 * durable call that runs is a child span (`<kind> <func>`). Parents follow the promise tree: a
 * call names its parent's promise id, and the parent's span is found while it is open, so the
 * tree holds with or without a context manager. Each span is also made active while its function
 * runs, so spans of libraries called from a step (HTTP, SQL) hang under the step when a context
 * manager is registered (the Node SDK registers one).
 *
 * A replay only makes spans for work that runs again: steps answered from stored results make
 * none. An execution resumed three times shows three execution spans with the same promise id.
 */
import { createRequire } from "node:module";
import type * as OpenTelemetry from "@opentelemetry/api";
import type { Context, Span } from "@opentelemetry/api";

export const TRACER_NAME = "reprise";

export const SPAN_ATTRIBUTE = {
  promiseId: "reprise.promise_id",
  func: "reprise.func",
  kind: "reprise.kind",
} as const;

export interface TracedCall {
  /** The call's durable promise id. */
  id: string;
  func: string;
  /** step, workflow, rpc, ... as in the `reprise:kind` tag. */
  kind: string;
  /** The promise id of the execution or workflow that made the call. */
  parentId?: string;
}

/**
 * Whether a tracer provider is registered. Without one every span is a no-op, and a worker skips
 * making them at all (asked once per run, so a provider registered later is picked up).
 */
export function tracingEnabled(): boolean {
  // Every copy of the API (1.x) registers providers in this one global slot: while it is absent,
  // nothing is registered, and the API need not be loaded to say so.
  if (!(OPENTELEMETRY_GLOBAL in globalThis)) return false;
  const provider = api().trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = provider.getDelegate?.() ?? provider;
  return delegate.constructor.name !== "NoopTracerProvider";
}

/** Runs one run of execution `id` inside its span. */
export function withExecutionSpan<T>(id: string, func: string, fn: (span: Span) => T | Promise<T>): Promise<T> {
  return withSpan(`execution ${func}`, { id, func, kind: "root" }, api().context.active(), fn);
}

/** Runs a step (or child workflow, ...) inside a span whose parent is the span of `call.parentId`. */
export function withStepSpan<T>(call: TracedCall, fn: (span: Span) => T | Promise<T>): Promise<T> {
  const parent = (call.parentId !== undefined ? openSpans.get(call.parentId) : undefined) ?? api().context.active();
  return withSpan(`${call.kind} ${call.func}`, call, parent, fn);
}

/** Marks a span failed without a throw (a call whose failure is returned as a value). */
export function recordFailure(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: api().SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

// ---------------------------------------------------------------------------------------------

/** Where @opentelemetry/api 1.x keeps what is registered with it (its `global-utils`). */
const OPENTELEMETRY_GLOBAL = Symbol.for("opentelemetry.js.api.1");

let loaded: typeof OpenTelemetry | undefined;

/**
 * The API, loaded on first use: its ~50 modules take about 20 ms, which a process that traces
 * nothing (the default) would otherwise pay at start-up, before its first recovered step.
 */
function api(): typeof OpenTelemetry {
  loaded ??= createRequire(import.meta.url)("@opentelemetry/api") as typeof OpenTelemetry;
  return loaded;
}

/** The contexts of spans now running, by promise id: how a child finds its parent. */
const openSpans = new Map<string, Context>();

async function withSpan<T>(name: string, call: TracedCall, parent: Context, fn: (span: Span) => T | Promise<T>): Promise<T> {
  const { context, trace } = api();
  const tracer = trace.getTracer(TRACER_NAME);
  const attributes = { [SPAN_ATTRIBUTE.promiseId]: call.id, [SPAN_ATTRIBUTE.func]: call.func, [SPAN_ATTRIBUTE.kind]: call.kind };
  const span = tracer.startSpan(name, { attributes }, parent);
  const active = trace.setSpan(parent, span);
  const previous = openSpans.get(call.id);
  openSpans.set(call.id, active);
  try {
    return await context.with(active, () => fn(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    if (previous === undefined) openSpans.delete(call.id);
    else openSpans.set(call.id, previous);
    span.end();
  }
}
