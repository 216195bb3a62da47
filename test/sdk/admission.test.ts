import { describe, expect, it } from "vitest";
import { Admission } from "../../src/sdk/admission.js";

/** A take whose runs end only when the test says so. */
function controlledTake() {
  const taken: Array<{ id: string; version: number }> = [];
  const finishers = new Map<string, () => void>();
  const take = (id: string, version: number): Promise<void> => {
    taken.push({ id, version });
    return new Promise<void>((resolve) => finishers.set(id, resolve));
  };
  const finish = async (id: string): Promise<void> => {
    finishers.get(id)!();
    finishers.delete(id);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { taken, take, finish };
}

describe("Admission", () => {
  it("runs at most its limit at once and starts queued offers as runs end", async () => {
    const { taken, take, finish } = controlledTake();
    const admission = new Admission(2, take);
    for (const id of ["a", "b", "c", "d"]) admission.offer(id, 1);
    expect(taken.map((t) => t.id)).toEqual(["a", "b"]);
    expect(admission.runningCount).toBe(2);
    expect(admission.queuedCount).toBe(2);
    await finish("a");
    expect(taken.map((t) => t.id)).toEqual(["a", "b", "c"]);
    await finish("b");
    await finish("c");
    await finish("d");
    expect(taken.map((t) => t.id)).toEqual(["a", "b", "c", "d"]);
    expect(admission.runningCount).toBe(0);
    expect(admission.queuedCount).toBe(0);
  });

  it("queues a task once, with the newest version offered", async () => {
    const { taken, take, finish } = controlledTake();
    const admission = new Admission(1, take);
    admission.offer("busy", 1);
    admission.offer("t", 3);
    admission.offer("t", 4);
    admission.offer("t", 2);
    expect(admission.queuedCount).toBe(1);
    await finish("busy");
    expect(taken).toEqual([
      { id: "busy", version: 1 },
      { id: "t", version: 4 },
    ]);
  });

  it("ignores an offer of a running task at the version it was taken at, and passes on a newer one", () => {
    const { taken, take } = controlledTake();
    const admission = new Admission(5, take);
    admission.offer("t", 1);
    admission.offer("t", 1);
    expect(taken).toHaveLength(1);
    // The run acquired version 2; a re-delivery after a lost lease carries version 2.
    admission.offer("t", 2);
    expect(taken).toEqual([
      { id: "t", version: 1 },
      { id: "t", version: 2 },
    ]);
    expect(admission.runningCount).toBe(1);
  });

  it("counts a reserved task against the limit until it is run or given back", async () => {
    const { taken, take, finish } = controlledTake();
    const admission = new Admission(1, take);
    expect(admission.reserve("mine")).toBe(true);
    expect(admission.reserve("other")).toBe(false);
    admission.offer("queued", 1);
    expect(taken).toHaveLength(0);
    admission.unreserve("mine");
    expect(taken.map((t) => t.id)).toEqual(["queued"]);
    await finish("queued");
    expect(admission.reserve("mine")).toBe(true);
    let ended!: () => void;
    admission.runReserved("mine", 1, () => new Promise<void>((resolve) => (ended = resolve)));
    // A re-delivery of the version we hold is not stale.
    admission.offer("mine", 1);
    expect(taken.map((t) => t.id)).toEqual(["queued", "mine"]);
    ended();
    await new Promise((resolve) => setImmediate(resolve));
    expect(admission.runningCount).toBe(0);
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => new Admission(0, async () => {})).toThrow(RangeError);
  });
});
