import { afterEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../../src/protocol/messages.js";
import { Workers, type WorkerConnection } from "../../src/server/workers.js";

function worker(group: string, pid: string) {
  const inbox: Message[] = [];
  const connection: WorkerConnection & { inbox: Message[]; closed: boolean } = {
    group,
    pid,
    connectedAt: 0,
    inbox,
    closed: false,
    send: (message) => inbox.push(message),
    close: () => {
      connection.closed = true;
    },
  };
  return connection;
}

const execute = (id: string): Message => ({ kind: "execute", head: {}, data: { task: { id, version: 1 } } });

afterEach(() => {
  vi.useRealTimers();
});

describe("Workers", () => {
  it("routes uni to the pid, any to the named pid or round-robin, bare names as any", () => {
    const workers = new Workers();
    const [a, b] = [worker("g", "a"), worker("g", "b")];
    workers.add(a);
    workers.add(b);
    expect(workers.deliver("poll://uni@g/b", execute("1"))).toBe(true);
    expect(workers.deliver("poll://any@g/a", execute("2"))).toBe(true);
    for (const id of ["3", "4", "5", "6"]) workers.deliver("g", execute(id));
    expect(a.inbox.length + b.inbox.length).toBe(6);
    expect(a.inbox.map((m) => (m.kind === "execute" ? m.data.task.id : ""))).toContain("2");
    expect(Math.abs(a.inbox.length - b.inbox.length)).toBeLessThanOrEqual(2);
    expect(workers.deliver("poll://uni@g/c", execute("7"))).toBe(false);
    expect(workers.deliver("http://elsewhere", execute("8"))).toBe(false);
  });

  it("sends to the newest stream of a pid that reconnected, and forgets a closed one", () => {
    const workers = new Workers();
    const old = worker("g", "p");
    const fresh = worker("g", "p");
    const removeOld = workers.add(old);
    workers.add(fresh);
    workers.deliver("poll://uni@g/p", execute("1"));
    expect(fresh.inbox).toHaveLength(1);
    removeOld();
    expect(workers.list()).toEqual([{ group: "g", pid: "p", connectedAt: 0 }]);
  });

  it("holds an undeliverable message for the first worker that matches it", () => {
    const workers = new Workers();
    workers.deliver("poll://any@g/gone", execute("any"));
    workers.deliver("poll://uni@g/later", execute("uni"));
    const other = worker("g", "other");
    workers.add(other);
    expect(other.inbox).toEqual([execute("any")]);
    const later = worker("g", "later");
    workers.add(later);
    expect(later.inbox).toEqual([execute("uni")]);
    workers.add(worker("g", "third"));
    expect(other.inbox).toHaveLength(1);
  });

  it("drops held messages after the hold time, and keeps at most maxHeldPerGroup", () => {
    vi.useFakeTimers();
    const workers = new Workers({ holdMs: 1000, maxHeldPerGroup: 2 });
    workers.deliver("g", execute("expired"));
    vi.advanceTimersByTime(1500);
    for (const id of ["1", "2", "3"]) workers.deliver("g", execute(id));
    const late = worker("g", "p");
    workers.add(late);
    expect(late.inbox).toEqual([execute("2"), execute("3")]);
  });

  it("closes every stream on closeAll", () => {
    const workers = new Workers();
    const a = worker("g", "a");
    workers.add(a);
    workers.closeAll();
    expect(a.closed).toBe(true);
    expect(workers.list()).toEqual([]);
  });
});
