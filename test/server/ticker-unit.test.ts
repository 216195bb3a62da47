/** The Ticker's scheduling, over a fake store whose deadlines the test controls. */
import { describe, expect, it } from "vitest";
import { Ticker } from "../../src/store/ticker.js";
import type { Store } from "../../src/store/store.js";
import { eventually } from "./harness.js";

/** A store that records tick times; `deadline` is what nextDeadline answers; ticks can be held open. */
function fakeStore() {
  const ticks: number[] = [];
  let release: (() => void) | undefined;
  const fake = {
    ticks,
    deadline: undefined as number | undefined,
    peeks: 0,
    holdTicks: false,
    finishTick: () => release?.(),
    store: {
      tick: async (now?: number) => {
        ticks.push(now ?? Date.now());
        if (fake.holdTicks) await new Promise<void>((resolve) => (release = resolve));
        return 0;
      },
      nextDeadline: async () => {
        fake.peeks++;
        return fake.deadline;
      },
      apply: async () => {
        throw new Error("not used");
      },
      onMessage: () => () => {},
      close: async () => {},
    } as unknown as Store,
  };
  return fake;
}

describe("Ticker", () => {
  it("ticks at the store's next deadline", async () => {
    const fake = fakeStore();
    const ticker = new Ticker(fake.store, { maxIntervalMs: 5000 });
    fake.deadline = Date.now() + 150;
    ticker.start();
    await eventually(() => (fake.ticks.length >= 2 ? true : undefined), 2000, "the deadline tick");
    expect(fake.ticks[1]! - fake.deadline).toBeGreaterThanOrEqual(0);
    expect(fake.ticks[1]! - fake.deadline).toBeLessThan(50);
    await ticker.stop();
  });

  it("does not lose a recheck that arrives while a tick is running", async () => {
    const fake = fakeStore();
    const ticker = new Ticker(fake.store, { maxIntervalMs: 5000 });
    fake.holdTicks = true;
    ticker.start();
    await eventually(() => (fake.ticks.length === 1 ? true : undefined), 1000, "the first tick");
    // A deadline appears while the first tick is still reading: the recheck must bring it in.
    fake.deadline = Date.now();
    ticker.recheck();
    fake.holdTicks = false;
    fake.finishTick();
    await eventually(() => (fake.ticks.length >= 2 ? true : undefined), 1000, "a tick soon after the recheck");
    await ticker.stop();
  });

  it("a recheck reads the next deadline and ticks only when something is due", async () => {
    const fake = fakeStore();
    const ticker = new Ticker(fake.store, { maxIntervalMs: 5000, recheckDelayMs: 5 });
    ticker.start();
    await eventually(() => (fake.ticks.length === 1 && fake.peeks === 1 ? true : undefined), 1000, "the first tick");
    // A burst of changes with nothing due: one read of the deadline, no tick.
    for (let i = 0; i < 20; i++) ticker.recheck();
    await eventually(() => (fake.peeks === 2 ? true : undefined), 1000, "the recheck's read");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.peeks).toBe(2);
    expect(fake.ticks).toHaveLength(1);
    // Something due 30 ms from now: the recheck finds it and the tick comes then.
    fake.deadline = Date.now() + 30;
    ticker.recheck();
    // (The fake's deadline stays due after it, so ticks follow one another from then on.)
    await eventually(() => (fake.ticks.length >= 2 ? true : undefined), 1000, "the tick at the new deadline");
    expect(fake.ticks[1]!).toBeGreaterThanOrEqual(fake.deadline);
    await ticker.stop();
  });

  it("stop waits for the tick in progress and prevents further ticks", async () => {
    const fake = fakeStore();
    const ticker = new Ticker(fake.store, { maxIntervalMs: 20 });
    fake.holdTicks = true;
    ticker.start();
    await eventually(() => (fake.ticks.length === 1 ? true : undefined), 1000, "the first tick");
    let stopped = false;
    const stopping = ticker.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stopped).toBe(false);
    fake.finishTick();
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fake.ticks).toHaveLength(1);
  });
});
