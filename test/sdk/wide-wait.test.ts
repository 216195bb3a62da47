/**
 * An execution that awaits more durable promises at once than one suspension may name (MAX_BATCH
 * callbacks) waits in its process instead, listening to each of them (src/sdk/wide-waits.ts).
 * Before, the store refused its suspension and the execution was handed out again and again,
 * never finishing.
 */
import { describe, expect, it } from "vitest";
import type { Context } from "../../src/index.js";
import { MAX_BATCH } from "../../src/protocol/limits.js";
import { embeddedInstances } from "./fixtures/embedded.js";

const embedded = embeddedInstances("reprise-wide-wait-");
const WIDE = MAX_BATCH + 100;

function* raceOfSignals(ctx: Context, prefix: string): Generator<unknown, { index: number; value: unknown }, unknown> {
  const signals = [];
  for (let i = 0; i < WIDE; i++) signals.push(yield* ctx.promise({ id: `${prefix}-signal-${i}` }));
  const { index, value } = yield* ctx.race(signals);
  return { index, value };
}

async function until(predicate: () => Promise<boolean>): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe("awaiting more promises than a suspension names", () => {
  it("a race of more than MAX_BATCH signals is won by one past the first MAX_BATCH", async () => {
    const reprise = embedded.open({ logLevel: "silent" });
    reprise.register("raceOfSignals", raceOfSignals);
    const handle = await reprise.beginRun("wide-1", "raceOfSignals", "wide-1");
    const last = `wide-1-signal-${WIDE - 1}`;
    await until(() => exists(reprise, last));
    await reprise.promises.resolve(last, "the last one");
    expect(await handle.result()).toEqual({ index: WIDE - 1, value: "the last one" });
  }, 60_000);

  it("a race of more than MAX_BATCH timers ends with the first to fire", async () => {
    const reprise = embedded.open({ logLevel: "silent" });
    function* raceOfTimers(ctx: Context): Generator<unknown, number, unknown> {
      const timers = [];
      // 50 ms apart, far more than creating one takes: the last one created fires first.
      for (let i = 0; i < WIDE; i++) timers.push(yield* ctx.timer((WIDE - i) * 50 + 200));
      return (yield* ctx.race(timers)).index;
    }
    reprise.register("raceOfTimers", raceOfTimers);
    expect(await reprise.run("wide-timers", "raceOfTimers")).toBe(WIDE - 1);
  }, 60_000);

  it("a cancellation request reaches an execution waiting wide", async () => {
    const reprise = embedded.open({ logLevel: "silent" });
    reprise.register("raceOfSignals", raceOfSignals);
    const handle = await reprise.beginRun("wide-3", "raceOfSignals", "wide-3");
    await until(() => exists(reprise, `wide-3-signal-${WIDE - 1}`));
    await reprise.cancel("wide-3", "no longer wanted");
    await expect(handle.result()).rejects.toThrow(/no longer wanted|cancel/i);
  }, 60_000);

  it("a process that takes the execution over waits again, and hears the winner", async () => {
    const path = embedded.dbPath();
    const first = embedded.open({ store: path, logLevel: "silent" });
    first.register("raceOfSignals", raceOfSignals);
    await first.beginRun("wide-2", "raceOfSignals", "wide-2");
    const last = `wide-2-signal-${WIDE - 1}`;
    await until(() => exists(first, last));
    await first.stop();
    const second = embedded.open({ store: path, logLevel: "silent" });
    second.register("raceOfSignals", raceOfSignals);
    await second.promises.resolve(`wide-2-signal-${MAX_BATCH + 50}`, "taken over");
    const view = await waitSettled(second, "wide-2");
    expect(view).toEqual({ index: MAX_BATCH + 50, value: "taken over" });
  }, 60_000);
});

interface PromisesOf {
  promises: { get(id: string): Promise<{ state: string; value?: unknown }> };
}

function exists(reprise: PromisesOf, id: string): Promise<boolean> {
  return reprise.promises.get(id).then(
    () => true,
    () => false,
  );
}

async function waitSettled(reprise: PromisesOf, id: string): Promise<unknown> {
  for (;;) {
    const view = await reprise.promises.get(id);
    if (view.state !== "pending") return view.value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
