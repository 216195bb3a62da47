/**
 * A tracer provider that keeps finished spans in memory, and a context manager over
 * AsyncLocalStorage, written against the @opentelemetry/api interfaces alone (no SDK packages).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type ContextManager,
  type Exception,
  type Span,
  type SpanAttributeValue,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

export interface FinishedSpan {
  name: string;
  spanId: string;
  traceId: string;
  parentSpanId?: string;
  attributes: Attributes;
  status: SpanStatus;
  exceptions: Exception[];
}

export class MemoryTracerProvider implements TracerProvider {
  readonly finished: FinishedSpan[] = [];

  getTracer(): Tracer {
    return new MemoryTracer(this.finished);
  }

  /** The finished span whose `reprise.promise_id` is `id` (the last one, if several). */
  byPromiseId(id: string): FinishedSpan | undefined {
    return this.finished.filter((span) => span.attributes["reprise.promise_id"] === id).at(-1);
  }
}

class MemoryTracer implements Tracer {
  constructor(private readonly finished: FinishedSpan[]) {}

  startSpan(name: string, options: SpanOptions = {}, context?: Context): Span {
    const parent = context ? trace.getSpanContext(context) : undefined;
    return new MemorySpan(name, options.attributes ?? {}, parent, this.finished);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = rest.at(-1) as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : {};
    const parent = rest.length > 2 ? (rest[1] as Context) : ROOT_CONTEXT;
    return fn(this.startSpan(name, options, parent)) as ReturnType<F>;
  }
}

class MemorySpan implements Span {
  private readonly context: SpanContext;
  private readonly attributes: Attributes;
  private status: SpanStatus = { code: SpanStatusCode.UNSET };
  private readonly exceptions: Exception[] = [];
  private ended = false;

  constructor(
    private name: string,
    attributes: Attributes,
    private readonly parent: SpanContext | undefined,
    private readonly finished: FinishedSpan[],
  ) {
    this.attributes = { ...attributes };
    this.context = { traceId: parent?.traceId ?? randomBytes(16).toString("hex"), spanId: randomBytes(8).toString("hex"), traceFlags: TraceFlags.SAMPLED };
  }

  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(key: string, value: SpanAttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.finished.push({
      name: this.name,
      spanId: this.context.spanId,
      traceId: this.context.traceId,
      ...(this.parent ? { parentSpanId: this.parent.spanId } : {}),
      attributes: this.attributes,
      status: this.status,
      exceptions: this.exceptions,
    });
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: Exception): void {
    this.exceptions.push(exception);
  }
}

export class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(context, () => fn.call(thisArg, ...args));
  }
  bind<T>(context: Context, target: T): T {
    if (typeof target !== "function") return target;
    const run = (...args: unknown[]) => this.with(context, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}
