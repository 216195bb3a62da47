/** Deadlines hinted while a tick runs: kept as times (fake clock, so no real waiting). */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Ticker } from "../../src/store/ticker.js";
import type { Store } from "../../src/store/store.js";

function heldTicks() {
  const ticks: number[] = [];
  let release: (() => void) | undefined;
  let hold = true;
  const store = {
    tick: async () => {
      ticks.push(Date.now());
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      return 0;
    },
    nextDeadline: async () => undefined,
    onMessage: () => () => {},
  } as unknown as Store;
  return {
    ticks,
    store,
    finish: async () => {
      hold = false;
      release?.();
      await vi.advanceTimersByTimeAsync(0);
    },
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("Ticker hints", () => {
  it("firstTickDone resolves once the first tick after start has ended, and on a stop before it", async () => {
    const fake = heldTicks();
    const ticker = new Ticker(fake.store, { maxIntervalMs: 1000 });
    let done = false;
    void ticker.firstTickDone.then(() => (done = true));
    ticker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.ticks).toHaveLength(1);
    expect(done).toBe(false); // the tick is still running
    await fake.finish();
    expect(done).toBe(true);
    await ticker.stop();

    const never = new Ticker(heldTicks().store);
    never.start();
    await never.stop();
    await never.firstTickDone;
  });


  it("a far deadline hinted during a tick does not bring the next tick forward", async () => {
    const fake = heldTicks();
    const ticker = new Ticker(fake.store, { maxIntervalMs: 1000 });
    ticker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.ticks).toHaveLength(1);
    for (let i = 0; i < 100; i++) ticker.hint(Date.now() + 3_600_000);
    await fake.finish();
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.ticks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.ticks).toHaveLength(2);
    await ticker.stop();
  });

  it("a near deadline hinted during a tick is ticked at on time", async () => {
    const fake = heldTicks();
    const ticker = new Ticker(fake.store, { maxIntervalMs: 1000 });
    ticker.start();
    await vi.advanceTimersByTimeAsync(0);
    const due = Date.now() + 200;
    ticker.hint(Date.now() + 3_600_000);
    ticker.hint(due);
    await fake.finish();
    await vi.advanceTimersByTimeAsync(199);
    expect(fake.ticks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(fake.ticks).toHaveLength(2);
    expect(fake.ticks[1]).toBeGreaterThanOrEqual(due);
    await ticker.stop();
  });
});
