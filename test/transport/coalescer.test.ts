/**
 * The coalescer groups what is added within one turn and gives each caller its own answer; an
 * entry its sender leaves unanswered, or a sender that throws, fails that caller alone.
 */
import { describe, expect, it } from "vitest";
import { Coalescer, type Entry } from "../../src/transport/coalescer.js";

function coalescer(send: (entries: readonly Entry<number, string>[]) => Promise<void>, maxItems = 10): Coalescer<number, string> {
  return new Coalescer<number, string>({ maxItems, maxBytes: 1_000_000, maxInFlight: 2, sizeOf: () => 1, send });
}

describe("Coalescer", () => {
  it("sends what was added in one turn as one group, and answers each item", async () => {
    const groups: number[][] = [];
    const c = coalescer(async (entries) => {
      groups.push(entries.map((entry) => entry.item));
      for (const entry of entries) entry.resolve(`answer ${entry.item}`);
    });
    const answers = await Promise.all([1, 2, 3].map((n) => c.add(n)));
    expect(answers).toEqual(["answer 1", "answer 2", "answer 3"]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it("fails only the items the sender left unanswered", async () => {
    const c = coalescer(async (entries) => {
      for (const entry of entries) if (entry.item % 2 === 0) entry.resolve(`answer ${entry.item}`);
    });
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map((n) => c.add(n)));
    expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as Error).message))).toEqual([
      "no answer was given for this request",
      "answer 2",
      "no answer was given for this request",
      "answer 4",
    ]);
  });

  it("fails the unanswered items with the sender's error when it throws", async () => {
    const c = coalescer(async (entries) => {
      entries[0]!.resolve("first");
      throw new Error("connection reset");
    });
    const [first, second] = await Promise.allSettled([1, 2].map((n) => c.add(n)));
    expect(first).toEqual({ status: "fulfilled", value: "first" });
    expect(second?.status === "rejected" && (second.reason as Error).message).toBe("connection reset");
  });

  it("splits more than a group takes into several groups", async () => {
    const groups: number[][] = [];
    const c = coalescer(async (entries) => {
      groups.push(entries.map((entry) => entry.item));
      for (const entry of entries) entry.resolve(String(entry.item));
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => c.add(n)));
    expect(groups.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(Math.max(...groups.map((group) => group.length))).toBe(2);
  });
});
