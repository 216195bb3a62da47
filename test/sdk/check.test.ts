/** checkExecutions: replays in-flight executions against new code, running and writing nothing. */
import { afterEach, describe, expect, it } from "vitest";
import { Reprise, type Context } from "../../src/index.js";
import { checkExecutions } from "../../src/sdk/check.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";

let ran: string[] = [];
function reserve(_ctx: Context, item: string): string {
  ran.push(`reserve ${item}`);
  return `reserved ${item}`;
}
function charge(_ctx: Context, item: string): string {
  ran.push(`charge ${item}`);
  return `charged ${item}`;
}
function notify(_ctx: Context, item: string): string {
  ran.push(`notify ${item}`);
  return `notified ${item}`;
}

/** What is deployed: reserve, wait for approval, charge. */
function* v1(ctx: Context, item: string): Generator<unknown, string, unknown> {
  yield* ctx.run(reserve, item);
  const approval = yield* ctx.promise({ id: `approval-${item}` });
  yield* approval;
  return yield* ctx.run(charge, item);
}

/** Compatible: a step added after the point every in-flight execution waits at. */
function* v2Compatible(ctx: Context, item: string): Generator<unknown, string, unknown> {
  yield* ctx.run(reserve, item);
  const approval = yield* ctx.promise({ id: `approval-${item}` });
  yield* approval;
  yield* ctx.run(notify, item);
  return yield* ctx.run(charge, item);
}

/** Incompatible: charges before it reserves. */
function* v2Swapped(ctx: Context, item: string): Generator<unknown, string, unknown> {
  yield* ctx.run(charge, item);
  const approval = yield* ctx.promise({ id: `approval-${item}` });
  yield* approval;
  return yield* ctx.run(reserve, item);
}

/** Patched: the swap behind ctx.patched, so old histories keep the old path. */
function* v2Patched(ctx: Context, item: string): Generator<unknown, string, unknown> {
  if (yield* ctx.patched("charge-first")) return yield* v2Swapped(ctx, item);
  return yield* v1(ctx, item);
}

let store: Store;
let reprise: Reprise;

async function startInFlight(count: number): Promise<void> {
  store = await openStore(":memory:");
  reprise = new Reprise({ store, logLevel: "silent" });
  reprise.register("order", v1);
  for (let i = 0; i < count; i++) await reprise.beginRun(`order-${i}`, "order", `item${i}`);
  // Wait until each has reserved and is waiting for its approval.
  for (let i = 0; i < count; i++) {
    for (;;) {
      const got = await store.apply({ kind: "promise.get", head: { corrId: "t", version: "x" }, data: { id: `approval-item${i}` } });
      if (got.head.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  ran = [];
}

afterEach(async () => {
  await reprise?.stop();
});

describe("checkExecutions", () => {
  it("finds nothing wrong with a change after the point in-flight executions reached, and runs no step", async () => {
    await startInFlight(3);
    const report = await checkExecutions({ store, functions: new Map([["order", v2Compatible]]) });
    expect(report).toEqual({ checked: 3, clean: 3, diverged: [], skipped: [] });
    expect(ran).toEqual([]);
  });

  it("names each execution that would diverge, the position and both calls", async () => {
    await startInFlight(2);
    const report = await checkExecutions({ store, functions: new Map([["order", v2Swapped]]) });
    expect(report.clean).toBe(0);
    expect(report.diverged.map((d) => d.executionId).sort()).toEqual(["order-0", "order-1"]);
    expect(report.diverged[0]).toMatchObject({ func: "order", recorded: "step reserve", replayed: "step charge" });
    expect(report.diverged[0]!.position).toMatch(/^order-\d\.1$/);
    expect(ran).toEqual([]);
  });

  it("passes the same change once it is behind ctx.patched", async () => {
    await startInFlight(2);
    const report = await checkExecutions({ store, functions: new Map([["order", v2Patched]]) });
    expect(report).toMatchObject({ checked: 2, clean: 2, diverged: [] });
  });

  it("replays past a patch point that has no record yet, down the branch the history took", async () => {
    await startInFlight(1);
    function* oldBranchBroken(ctx: Context, item: string): Generator<unknown, string, unknown> {
      if (yield* ctx.patched("charge-first")) return yield* v1(ctx, item);
      return yield* v2Swapped(ctx, item);
    }
    const report = await checkExecutions({ store, functions: new Map([["order", oldBranchBroken]]) });
    expect(report.diverged.map((d) => d.executionId)).toEqual(["order-0"]);
  });

  it("skips executions of functions the module does not register, saying so", async () => {
    await startInFlight(1);
    const report = await checkExecutions({ store, functions: new Map() });
    expect(report.checked).toBe(0);
    expect(report.skipped).toEqual([{ executionId: "order-0", reason: "function order is not registered by the module" }]);
  });
});
