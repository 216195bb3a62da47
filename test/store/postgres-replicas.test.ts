/**
 * Two server replicas sharing one PostgreSQL schema: each is a full store (kernel + backend), as
 * two `reprise serve` processes would be. They must split due work, agree on every race and hear
 * each other's messages.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../src/protocol/messages.js";
import type { PromiseRecord } from "../../src/protocol/records.js";
import type { RequestKind, RequestOf, Response } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import type { Store } from "../../src/store/index.js";
import { postgresAvailable, twoServersPerTest } from "./postgres-support.js";

const available = await postgresAvailable();
const T0 = 1_700_000_000_000;

function send<K extends RequestKind>(store: Store, kind: K, data: RequestOf<K>["data"], now = T0): Promise<Response<K>> {
  return store.apply({ kind, head: { corrId: kind, version: "test" }, data } as RequestOf<K>, now);
}

function promiseOf(res: Response): PromiseRecord {
  expect(res.head.status, JSON.stringify(res.data)).toBe(200);
  return (res.data as { promise: PromiseRecord }).promise;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for condition");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!available)("postgres replicas sharing one schema", () => {
  const two = twoServersPerTest();

  it("tick at once and time out each due promise exactly once", async () => {
    const [a, b] = two.servers as [Store, Store];
    const count = 300;
    for (let i = 0; i < count; i++) {
      const replica = i % 2 === 0 ? a : b;
      promiseOf(await send(replica, "promise.create", { id: `p${i}`, timeoutAt: T0 + 10, param: {}, tags: {} }));
    }
    const changed = await Promise.all([a.tick(T0 + 10), b.tick(T0 + 10), a.tick(T0 + 10), b.tick(T0 + 10)]);
    expect(changed.reduce((sum, n) => sum + n, 0)).toBe(count);
    for (let i = 0; i < count; i += 37) {
      expect(promiseOf(await send(a, "promise.get", { id: `p${i}` }, T0 + 10)).state).toBe("rejected_timedout");
    }
    expect(await a.nextDeadline()).toBeUndefined();
  });

  it("agree on one creator and one settler per id when callers race through both", async () => {
    const [a, b] = two.servers as [Store, Store];
    const ids = Array.from({ length: 10 }, (_, i) => `race${i}`);
    const callers = ids.flatMap((id) => Array.from({ length: 6 }, (_, n) => ({ id, key: `${id}-k${n}`, via: n % 2 ? a : b })));
    const creates = await Promise.all(
      callers.map(({ id, key, via }) => send(via, "promise.create", { id, timeoutAt: T0 + 60_000, param: {}, tags: {}, idempotencyKey: key })),
    );
    expect(creates.filter((res) => res.head.status === 200)).toHaveLength(ids.length);
    const settles = await Promise.all(
      callers.map(({ id, key, via }) => send(via, "promise.settle", { id, state: "resolved", value: { data: key }, idempotencyKey: key }, T0 + 1)),
    );
    expect(settles.filter((res) => res.head.status === 200)).toHaveLength(ids.length);
    for (const id of ids) {
      const [fromA, fromB] = await Promise.all([send(a, "promise.get", { id }, T0 + 2), send(b, "promise.get", { id }, T0 + 2)]);
      expect(promiseOf(fromA)).toEqual(promiseOf(fromB));
    }
  });

  it("deliver a change made on one replica to the other's subscribers, and to its own once", async () => {
    const [a, b] = two.servers as [Store, Store];
    const atA: Envelope[] = [];
    const atB: Envelope[] = [];
    a.onMessage((envelope) => atA.push(envelope));
    b.onMessage((envelope) => atB.push(envelope));
    const target = "poll://any@workers";
    await send(a, "promise.create", { id: "root", timeoutAt: T0 + 60_000, param: {}, tags: { [TAG.target]: target } });
    const expected: Envelope = { address: target, message: { kind: "execute", head: {}, data: { task: { id: "root", version: 0 } } } };
    expect(atA).toEqual([expected]);
    await until(() => atB.length === 1);
    expect(atB).toEqual([expected]);

    promiseOf(await send(b, "promise.register_listener", { awaited: "root", address: "poll://uni@workers/7" }));
    const settled = promiseOf(await send(b, "promise.settle", { id: "root", state: "resolved", value: { data: "x".repeat(20_000) } }, T0 + 1));
    const unblock: Envelope = { address: "poll://uni@workers/7", message: { kind: "unblock", head: {}, data: { promise: settled } } };
    await until(() => atA.length === 2);
    expect(atA[1]).toEqual(unblock);
    expect(atB[1]).toEqual(unblock);
    expect(atA).toHaveLength(2);
    expect(atB).toHaveLength(2);
  });
});
