/**
 * The Reprise instance runs a bounded number of executions at once (here 3, by mocking the
 * default) and holds nothing for an execution that is suspended.
 */
import { describe, expect, it, vi } from "vitest";
import type { Context, Reprise } from "../../src/index.js";
// Imports Reprise after the mock below: vi.mock is hoisted above every import.
import { embeddedInstances } from "./fixtures/embedded.js";

vi.mock("../../src/sdk/admission.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../src/sdk/admission.js")>()),
  DEFAULT_MAX_RUNNING: 3,
}));

interface Internals {
  started: Promise<{ worker: { executing: string[] }; admission: { runningCount: number; queuedCount: number } }>;
  waiters: Map<string, unknown>;
}

const embedded = embeddedInstances("reprise-bounded-");

function open(): Reprise {
  return embedded.open();
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("bounded executions", () => {
  it("runs no more than the bound at once; the rest wait as tasks and all finish", async () => {
    const reprise = open();
    let now = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    async function slow(): Promise<void> {
      most = Math.max(most, ++now);
      await new Promise<void>((resolve) => gates.push(resolve));
      now--;
    }
    function* wf(ctx: Context, i: number): Generator<unknown, number, unknown> {
      yield* ctx.run(slow);
      return i;
    }
    reprise.register("wf", wf);
    const handles = await Promise.all(Array.from({ length: 8 }, (_, i) => reprise.beginRun(`bounded-${i}`, "wf", i)));
    const internals = reprise as unknown as Internals;
    const { admission } = await internals.started;
    await until(() => gates.length === 3);
    expect(admission.runningCount).toBe(3);
    expect(admission.queuedCount).toBe(5);
    // Let every step finish as it comes; the waiting executions take the freed slots.
    const releaser = setInterval(() => gates.splice(0).forEach((open) => open()), 5);
    try {
      expect(await Promise.all(handles.map((h) => h.result()))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      clearInterval(releaser);
    }
    expect(most).toBe(3);
  });

  it("keeps nothing in memory for a suspended execution", async () => {
    const reprise = open();
    function* sleeper(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.run(async () => "step");
      yield* ctx.sleep(3_600_000);
      return "woke";
    }
    reprise.register("sleeper", sleeper);
    for (let i = 0; i < 6; i++) await reprise.beginRun(`sleeping-${i}`, "sleeper");
    const internals = reprise as unknown as Internals;
    const { worker, admission } = await internals.started;
    await until(() => admission.runningCount === 0 && admission.queuedCount === 0);
    expect(worker.executing).toEqual([]);
    expect(internals.waiters.size).toBe(0);
    for (let i = 0; i < 6; i++) expect((await reprise.promises.get(`sleeping-${i}.2`)).state).toBe("pending");
  });
});
