/**
 * Tasks that are not this worker's to run (another group's, a function not registered here, an
 * execution already settled) are found so once: offered again by the next sweeps, they cost no
 * read of their root, until the answer's time is up or a function is registered here.
 */
import { describe, expect, it } from "vitest";
import { systemClock, type Clock } from "../../src/engine/clock.js";
import { encodeCall, rootTags } from "../../src/protocol/calls.js";
import type { PromiseRecord } from "../../src/protocol/records.js";
import type { ProtocolClient } from "../../src/sdk/client.js";
import { NOT_OURS_MAX, NOT_OURS_TTL_MS, NotOurs } from "../../src/sdk/not-ours.js";
import { Registry } from "../../src/sdk/registry.js";
import { Worker } from "../../src/sdk/worker.js";

function root(id: string, func: string, group: string, state: PromiseRecord["state"] = "pending"): PromiseRecord {
  return { id, state, param: encodeCall(func, []), value: {}, tags: rootTags(func, `poll://any@${group}`, id), timeoutAt: Date.now() + 60_000, createdAt: Date.now() };
}

/** A worker of group "ours" over a client that only answers promise.get (and counts the reads). */
function workerOver(roots: Map<string, PromiseRecord>, registry: Registry, clock: Clock) {
  const reads: string[] = [];
  const client = {
    send: async (kind: string, data: { id: string }) => {
      if (kind !== "promise.get") return { head: { status: 409 }, data: "not in this test" };
      reads.push(data.id);
      const promise = roots.get(data.id);
      return promise ? { head: { status: 200 }, data: { promise } } : { head: { status: 404 }, data: "no such promise" };
    },
  } as unknown as ProtocolClient;
  const worker = new Worker({
    client,
    registry,
    dependencies: new Map(),
    group: "ours",
    pid: "me",
    ttl: 60_000,
    log: () => {},
    debug: false,
    clock,
    onSettled: () => {},
  });
  return { worker, reads };
}

describe("tasks that are not ours", () => {
  it("are read once, then skipped when offered again, until a function is registered here or their time is up", async () => {
    let now = 1_000_000;
    const clock: Clock = { ...systemClock, now: () => now };
    const registry = new Registry();
    registry.add("mine", function* () {});
    const roots = new Map([
      ["theirs", root("theirs", "mine", "other-group")],
      ["unknown", root("unknown", "not-registered-here", "ours")],
      ["settled", root("settled", "mine", "ours", "resolved")],
    ]);
    const { worker, reads } = workerOver(roots, registry, clock);

    for (const id of roots.keys()) await worker.offer(id, 1);
    expect(reads).toEqual(["theirs", "unknown", "settled"]);
    for (const id of roots.keys()) await worker.offer(id, 1);
    expect(reads).toHaveLength(3);

    // What this process can run changed: every answer is asked again.
    registry.add("not-registered-here", function* () {});
    for (const id of roots.keys()) await worker.offer(id, 1);
    expect(reads).toHaveLength(6);

    now += NOT_OURS_TTL_MS;
    await worker.offer("theirs", 1);
    expect(reads).toHaveLength(7);
    worker.stop();
  });

  it("keeps at most NOT_OURS_MAX ids, forgetting the oldest", () => {
    const notOurs = new NotOurs();
    for (let i = 0; i <= NOT_OURS_MAX; i++) notOurs.add(`t${i}`, 1, 0);
    expect(notOurs.size).toBe(NOT_OURS_MAX);
    expect(notOurs.has("t0", 1, 0)).toBe(false);
    expect(notOurs.has(`t${NOT_OURS_MAX}`, 1, 0)).toBe(true);
  });
});
