/**
 * The SDK's observer of executions: an OpenTelemetry span for each run and each call that runs
 * (parent = the caller's promise), and a debug log line with the execution and step ids.
 */
import type { Span } from "@opentelemetry/api";
import type { ObservedCall, Observer } from "../engine/observer.js";
import { recordFailure, withExecutionSpan, withStepSpan } from "../observability/tracing.js";

export class ExecutionObserver implements Observer {
  constructor(
    private readonly executionId: string,
    /** Debug log of every call that runs; absent when debug is off. */
    private readonly log?: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  observe<T extends { ok: boolean; error?: unknown }>(call: ObservedCall, run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const traced = (span: Span) =>
      run().then((result) => {
        if (!result.ok) recordFailure(span, result.error);
        this.log?.(call.kind === "root" ? "run finished" : "call finished", {
          executionId: this.executionId,
          ...(call.kind === "root" ? {} : { stepId: call.id }),
          func: call.func,
          kind: call.kind,
          ok: result.ok,
          ms: Date.now() - started,
        });
        return result;
      });
    return call.kind === "root" ? withExecutionSpan(call.id, call.func, traced) : withStepSpan({ ...call, kind: call.kind }, traced);
  }
}
