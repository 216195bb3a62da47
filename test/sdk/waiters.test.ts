/** Callers waiting for results: one timer for all of them, and polls that back off (fake clock). */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PromiseRecord } from "../../src/protocol/records.js";
import { NUDGE_MIN_MS, Waiters, type PollAnswer } from "../../src/sdk/waiters.js";

function record(id: string, state: PromiseRecord["state"]): PromiseRecord {
  return { id, state, param: {}, value: {}, tags: {}, timeoutAt: 0, createdAt: 0 } as unknown as PromiseRecord;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("Waiters", () => {
  it("answers every waiter of an id when it settles, and then holds nothing", async () => {
    const waiters = new Waiters({ poll: async () => undefined });
    const a = waiters.wait("x");
    const b = waiters.wait("x");
    expect(waiters.size).toBe(1);
    waiters.settled(record("x", "pending"));
    expect(waiters.size).toBe(1);
    waiters.settled(record("x", "resolved"));
    expect((await a).state).toBe("resolved");
    expect((await b).state).toBe("resolved");
    expect(waiters.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("uses one timer for many waiters, and polls each id less often while it stays pending", async () => {
    const polls = new Map<string, number>();
    const waiters = new Waiters({
      poll: async (id): Promise<PollAnswer> => {
        polls.set(id, (polls.get(id) ?? 0) + 1);
        return { record: record(id, "pending") };
      },
      firstPollMs: 2000,
      maxPollMs: 30_000,
      maxConcurrentPolls: 1000,
    });
    for (let i = 0; i < 500; i++) void waiters.wait(`w${i}`);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(120_000);
    // Polled at about 2, 6, 14, 30, 60, 90, 120 s: 7 reads in two minutes, not 60.
    for (const count of polls.values()) expect(count).toBeLessThanOrEqual(8);
    expect(polls.size).toBe(500);
    waiters.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("bounds the reads in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const waiters = new Waiters({
      poll: async (id): Promise<PollAnswer> => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 100));
        inFlight--;
        return { record: record(id, "resolved") };
      },
      maxConcurrentPolls: 10,
    });
    const all = Promise.all(Array.from({ length: 50 }, (_, i) => waiters.wait(`w${i}`)));
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await all).length).toBe(50);
    expect(most).toBe(10);
  });

  it("fails the waiters of an id the store does not know", async () => {
    const waiters = new Waiters({ poll: async (): Promise<PollAnswer> => ({ error: new Error("no such id") }) });
    const waiting = waiters.wait("gone");
    const failed = expect(waiting).rejects.toThrow("no such id");
    await vi.advanceTimersByTimeAsync(3000);
    await failed;
    expect(waiters.size).toBe(0);
  });

  it("polls every id at once when nudged (another process committed), as many as the concurrency allows", async () => {
    const polled: string[] = [];
    const waiters = new Waiters({
      poll: async (id): Promise<PollAnswer> => {
        polled.push(id);
        return { record: record(id, id === "done" ? "resolved" : "pending") };
      },
      firstPollMs: 60_000,
      maxConcurrentPolls: 2,
    });
    const done = waiters.wait("done");
    void waiters.wait("a");
    void waiters.wait("b");
    waiters.nudge();
    expect(polled).toEqual(["done", "a"]);
    expect((await done).state).toBe("resolved");
    // The polls answered: the next nudge reaches the one left, and polls the pending one again;
    // it comes sooner than NUDGE_MIN_MS after the first, so it is carried out when the gap is over.
    await vi.advanceTimersByTimeAsync(0);
    waiters.nudge();
    waiters.nudge();
    expect(polled).toEqual(["done", "a"]);
    await vi.advanceTimersByTimeAsync(NUDGE_MIN_MS);
    expect(polled).toEqual(["done", "a", "a", "b"]);
    waiters.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("does nothing when nudged with nobody waiting", () => {
    const waiters = new Waiters({ poll: async () => undefined });
    waiters.nudge();
    expect(vi.getTimerCount()).toBe(0);
  });
});

