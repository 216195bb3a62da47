/**
 * Messages held for an address with no worker (issue 11, item 2): they leave memory when their
 * hold runs out even if nothing else arrives for the group, and the hold is bounded by bytes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../../src/protocol/messages.js";
import { Workers, type WorkerConnection } from "../../src/server/workers.js";

const HOLD_MS = 30_000;
const PRUNE_MS = 1_000;

let clock = 0;
beforeEach(() => {
  clock = 1_000_000;
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
});
afterEach(() => {
  vi.useRealTimers();
});

function workers(options: { maxHeldBytes?: number } = {}): Workers {
  return new Workers({ holdMs: HOLD_MS, pruneIntervalMs: PRUNE_MS, now: () => clock, ...options });
}

function execute(id: string): Message {
  return { kind: "execute", head: {}, data: { task: { id, version: 1 } } };
}

function worker(group: string, pid: string): WorkerConnection & { inbox: Message[] } {
  const inbox: Message[] = [];
  return { group, pid, connectedAt: clock, inbox, send: (message) => inbox.push(message), close: () => undefined };
}

describe("held messages", () => {
  it("are dropped by the timer once their hold runs out, though no other message arrives", () => {
    const registry = workers();
    for (const n of [1, 2, 3]) expect(registry.deliver("poll://uni@ghost/p0", execute(`t${n}`))).toBe(false);
    expect(registry.heldStats()).toMatchObject({ groups: 1, messages: 3 });
    expect(registry.heldStats().bytes).toBeGreaterThan(0);

    clock += HOLD_MS - 1;
    vi.advanceTimersByTime(PRUNE_MS);
    expect(registry.heldStats().messages).toBe(3); // not yet expired

    clock += PRUNE_MS;
    vi.advanceTimersByTime(PRUNE_MS);
    expect(registry.heldStats()).toEqual({ groups: 0, messages: 0, bytes: 0 });
    expect(vi.getTimerCount()).toBe(0); // nothing held, no timer
  });

  it("are bounded by bytes over all groups: the longest-held go first", () => {
    const size = JSON.stringify(execute("t-00")).length;
    const registry = workers({ maxHeldBytes: 3 * size });
    for (let n = 0; n < 10; n++) registry.deliver(`poll://uni@g${n}/p`, execute(`t-0${n}`));
    expect(registry.heldStats()).toEqual({ groups: 3, messages: 3, bytes: 3 * size });

    const newest = worker("g9", "p");
    const oldest = worker("g0", "p");
    registry.add(newest);
    registry.add(oldest);
    expect(newest.inbox).toEqual([execute("t-09")]);
    expect(oldest.inbox).toEqual([]);
    expect(registry.heldStats()).toEqual({ groups: 2, messages: 2, bytes: 2 * size });
  });

  it("do not include a message larger than the whole byte bound", () => {
    const registry = workers({ maxHeldBytes: 10 });
    expect(registry.deliver("poll://uni@ghost/p0", execute("too-big-to-hold"))).toBe(false);
    expect(registry.heldStats()).toEqual({ groups: 0, messages: 0, bytes: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop their timer on close", () => {
    const registry = workers();
    registry.deliver("poll://uni@ghost/p0", execute("t1"));
    expect(vi.getTimerCount()).toBe(1);
    registry.closeAll();
    expect(vi.getTimerCount()).toBe(0);
    expect(registry.heldStats()).toEqual({ groups: 0, messages: 0, bytes: 0 });
  });

  it("are handed to the worker that connects within the hold, and leave the count", () => {
    const registry = workers();
    registry.deliver("poll://uni@late/p0", execute("t1"));
    registry.deliver("poll://uni@late/p1", execute("t2"));
    const late = worker("late", "p0");
    registry.add(late);
    expect(late.inbox).toEqual([execute("t1")]);
    expect(registry.heldStats()).toMatchObject({ groups: 1, messages: 1 });
  });
});
