import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { SPAN_ATTRIBUTE, tracingEnabled, withExecutionSpan, withStepSpan } from "../../src/observability/tracing.js";
import { AsyncContextManager, MemoryTracerProvider, type FinishedSpan } from "./support/memory-tracer.js";

afterEach(() => {
  trace.disable();
  context.disable();
});

function install(options: { contextManager: boolean }): MemoryTracerProvider {
  const provider = new MemoryTracerProvider();
  trace.setGlobalTracerProvider(provider);
  if (options.contextManager) context.setGlobalContextManager(new AsyncContextManager());
  return provider;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** order-1 → charge (order-1.1), ship workflow (order-1.2) → label step (order-1.2.1). */
async function runOrder(passParents: boolean): Promise<string> {
  return withExecutionSpan("order-1", "order", async () => {
    await withStepSpan({ id: "order-1.1", func: "charge", kind: "step", ...(passParents ? { parentId: "order-1" } : {}) }, tick);
    return withStepSpan({ id: "order-1.2", func: "ship", kind: "workflow", ...(passParents ? { parentId: "order-1" } : {}) }, async () => {
      await withStepSpan({ id: "order-1.2.1", func: "printLabel", kind: "step", ...(passParents ? { parentId: "order-1.2" } : {}) }, tick);
      return "shipped";
    });
  });
}

function parentOf(provider: MemoryTracerProvider, id: string): FinishedSpan | undefined {
  const span = provider.byPromiseId(id);
  return provider.finished.find((candidate) => candidate.spanId === span?.parentSpanId);
}

describe("tracing", () => {
  it("does nothing but run the function when no tracer provider is registered", async () => {
    let recording: boolean | undefined;
    const result = await withExecutionSpan("wf", "order", (span) => {
      recording = span.isRecording();
      return 42;
    });
    expect(result).toBe(42);
    expect(recording).toBe(false);
  });

  it("makes a span per execution and per step, parents following the promise tree, without a context manager", async () => {
    const provider = install({ contextManager: false });
    expect(await runOrder(true)).toBe("shipped");
    expect(provider.finished.map((span) => span.name).sort()).toEqual(["execution order", "step charge", "step printLabel", "workflow ship"]);
    expect(parentOf(provider, "order-1")).toBeUndefined();
    expect(parentOf(provider, "order-1.1")?.attributes[SPAN_ATTRIBUTE.promiseId]).toBe("order-1");
    expect(parentOf(provider, "order-1.2")?.attributes[SPAN_ATTRIBUTE.promiseId]).toBe("order-1");
    expect(parentOf(provider, "order-1.2.1")?.attributes[SPAN_ATTRIBUTE.promiseId]).toBe("order-1.2");
    expect(new Set(provider.finished.map((span) => span.traceId)).size).toBe(1);
    expect(provider.byPromiseId("order-1.2")?.attributes).toEqual({ "reprise.promise_id": "order-1.2", "reprise.func": "ship", "reprise.kind": "workflow" });
    expect(provider.byPromiseId("order-1")?.attributes[SPAN_ATTRIBUTE.kind]).toBe("root");
  });

  it("follows the async context when parents are not named and a context manager is registered", async () => {
    const provider = install({ contextManager: true });
    await runOrder(false);
    expect(parentOf(provider, "order-1.1")?.attributes[SPAN_ATTRIBUTE.promiseId]).toBe("order-1");
    expect(parentOf(provider, "order-1.2.1")?.attributes[SPAN_ATTRIBUTE.promiseId]).toBe("order-1.2");
  });

  it("keeps concurrent steps under their execution, and makes their span active for code inside", async () => {
    const provider = install({ contextManager: true });
    const seen: string[] = [];
    await withExecutionSpan("batch", "batch", () =>
      Promise.all(
        ["batch.1", "batch.2", "batch.3"].map((id) =>
          withStepSpan({ id, func: "work", kind: "step", parentId: "batch" }, async (span) => {
            await tick();
            seen.push(trace.getActiveSpan() === span ? id : "other");
          }),
        ),
      ),
    );
    expect(seen.sort()).toEqual(["batch.1", "batch.2", "batch.3"]);
    for (const id of seen) expect(parentOf(provider, id)?.attributes[SPAN_ATTRIBUTE.promiseId]).toBe("batch");
  });

  it("marks the span of a step that throws as failed, records the error and rethrows it", async () => {
    const provider = install({ contextManager: false });
    const failure = new Error("card declined");
    await expect(
      withExecutionSpan("wf", "order", () => withStepSpan({ id: "wf.1", func: "charge", kind: "step", parentId: "wf" }, () => Promise.reject(failure))),
    ).rejects.toBe(failure);
    const step = provider.byPromiseId("wf.1")!;
    expect(step.status).toEqual({ code: SpanStatusCode.ERROR, message: "card declined" });
    expect(step.exceptions).toEqual([failure]);
    expect(provider.byPromiseId("wf")!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("falls back to the active context when the parent's span has already ended", async () => {
    const provider = install({ contextManager: false });
    await withExecutionSpan("wf", "order", () => undefined);
    await withStepSpan({ id: "wf.9", func: "late", kind: "step", parentId: "wf" }, () => undefined);
    expect(provider.byPromiseId("wf.9")?.parentSpanId).toBeUndefined();
  });
});

describe("tracingEnabled", () => {
  it("says whether a tracer provider is registered, so workers skip no-op spans", () => {
    expect(tracingEnabled()).toBe(false);
    install({ contextManager: false });
    expect(tracingEnabled()).toBe(true);
  });
});
