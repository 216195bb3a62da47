/**
 * Sweeper.nudge: another process sharing the SQLite file committed, so the embedded worker looks
 * for work now instead of at its next periodic sweep; at most once per NUDGED_SWEEP_MIN_MS, after
 * a rest that grows with the last sweep's length, and once more after a sweep a nudge arrived
 * during (that sweep may have read before the change).
 * A fake clock; the client only counts the walks over pending tasks.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Admission } from "../../src/sdk/admission.js";
import type { ProtocolClient } from "../../src/sdk/client.js";
import { NUDGED_SWEEP_IDLE_FACTOR, NUDGED_SWEEP_MIN_MS, Sweeper } from "../../src/sdk/sweeper.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function sweeperWith(embedded: boolean, pageDelayMs = 0): { sweeper: Sweeper; walks: () => number } {
  let pendingWalks = 0;
  const client = {
    expect: async (kind: string, data: { state: string }) => {
      if (data.state === "pending") pendingWalks++;
      if (pageDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, pageDelayMs));
      return kind === "reprise.holders" ? { holders: [] } : { tasks: [] };
    },
  } as unknown as ProtocolClient;
  const admission = new Admission(10, async () => {});
  const sweeper = new Sweeper({ client, admission, embedded, pid: "me", ttl: 60_000, runTakenOver: () => {}, maxQueued: 100, onError: (error) => { throw error; } });
  return { sweeper, walks: () => pendingWalks };
}

describe("Sweeper.nudge", () => {
  it("sweeps at once, then no sooner than the minimum gap however often it is nudged", async () => {
    const { sweeper, walks } = sweeperWith(true);
    await sweeper.sweep();
    expect(walks()).toBe(1);
    await vi.advanceTimersByTimeAsync(NUDGED_SWEEP_MIN_MS);
    sweeper.nudge();
    await vi.advanceTimersByTimeAsync(0);
    expect(walks()).toBe(2);
    for (let i = 0; i < 10; i++) sweeper.nudge();
    await vi.advanceTimersByTimeAsync(NUDGED_SWEEP_MIN_MS - 1);
    expect(walks()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(walks()).toBe(3);
    sweeper.stop();
  });

  it("sweeps once more after a sweep that a nudge arrived during, after a rest nine times as long as it took", async () => {
    const { sweeper, walks } = sweeperWith(true, 50);
    const first = sweeper.sweep();
    sweeper.nudge();
    // The first sweep walks the pending tasks and then the acquired ones (dead holders): 100 ms.
    await vi.advanceTimersByTimeAsync(100);
    await first;
    expect(walks()).toBe(1);
    await vi.advanceTimersByTimeAsync(NUDGED_SWEEP_IDLE_FACTOR * 100 - 1);
    expect(walks()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(walks()).toBe(2);
    sweeper.stop();
  });

  it("does nothing for a worker of a server (its messages reach it) or once stopped", async () => {
    const remote = sweeperWith(false);
    remote.sweeper.nudge();
    await vi.advanceTimersByTimeAsync(NUDGED_SWEEP_MIN_MS);
    expect(remote.walks()).toBe(0);
    const stopped = sweeperWith(true);
    stopped.sweeper.stop();
    stopped.sweeper.nudge();
    await vi.advanceTimersByTimeAsync(NUDGED_SWEEP_MIN_MS);
    expect(stopped.walks()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
