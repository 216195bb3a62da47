/**
 * ProtocolStore itself, apart from the transition rules: its options, and when and how the
 * messages of a change reach listeners (only after commit; through the backend's broadcast when
 * it has one).
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../src/protocol/messages.js";
import type { RequestOf } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import type { Backend } from "../../src/store/backend.js";
import { ProtocolStore } from "../../src/store/kernel/index.js";
import { MemoryBackend } from "../../src/store/memory/index.js";

const T0 = 1_700_000_000_000;
const TARGET = "poll://any@workers";

function createTargeted(id: string, timeoutAt = T0 + 60_000): RequestOf<"promise.create"> {
  return { kind: "promise.create", head: { corrId: id, version: "v" }, data: { id, timeoutAt, param: {}, tags: { [TAG.target]: TARGET } } };
}

describe("ProtocolStore", () => {
  it("takes time from its clock and re-delivers after redeliverAfterMs", async () => {
    let now = T0;
    const store = new ProtocolStore(new MemoryBackend(), { clock: () => now, redeliverAfterMs: 1000 });
    const messages: Envelope[] = [];
    store.onMessage((m) => messages.push(m));
    const res = await store.apply(createTargeted("root"));
    expect(res.data).toMatchObject({ promise: { createdAt: T0 } });
    expect(await store.nextDeadline()).toBe(T0 + 1000);
    now = T0 + 999;
    expect(await store.tick()).toBe(0);
    now = T0 + 1000;
    expect(await store.tick()).toBe(1);
    expect(messages).toHaveLength(2);
    await store.close();
  });

  it("delivers nothing from a transaction that fails to commit", async () => {
    const memory = new MemoryBackend();
    let failCommit = false;
    const flaky: Backend = {
      transaction: async (work) => {
        const result = await memory.transaction(work);
        if (failCommit) throw new Error("disk full");
        return result;
      },
      close: () => memory.close(),
    };
    const store = new ProtocolStore(flaky);
    const messages: Envelope[] = [];
    store.onMessage((m) => messages.push(m));
    failCommit = true;
    await expect(store.apply(createTargeted("root"), T0)).rejects.toThrow("disk full");
    expect(messages).toEqual([]);
    failCommit = false;
    await store.apply(createTargeted("other"), T0);
    expect(messages).toHaveLength(1);
    await store.close();
  });

  it("keeps delivering to other listeners when one throws, and stops after unsubscribe", async () => {
    const store = new ProtocolStore(new MemoryBackend());
    const heard: string[] = [];
    const errors = console.error;
    console.error = () => undefined;
    try {
      store.onMessage(() => {
        throw new Error("bad listener");
      });
      const unsubscribe = store.onMessage((m) => heard.push(m.address));
      const res = await store.apply(createTargeted("a"), T0);
      expect(res.head.status).toBe(200);
      unsubscribe();
      await store.apply(createTargeted("b"), T0);
      expect(heard).toEqual([TARGET]);
    } finally {
      console.error = errors;
      await store.close();
    }
  });

  it("hands messages to the backend's broadcast, and hears them through its subscription", async () => {
    const memory = new MemoryBackend();
    const published: Envelope[][] = [];
    let subscriber: ((envelope: Envelope) => void) | undefined;
    const shared: Backend = {
      transaction: (work) => memory.transaction(work),
      broadcast: {
        publish: async (envelopes) => {
          published.push(envelopes);
        },
        subscribe: (listener) => {
          subscriber = listener;
        },
      },
      close: () => memory.close(),
    };
    const store = new ProtocolStore(shared);
    const heard: Envelope[] = [];
    store.onMessage((m) => heard.push(m));
    await store.apply(createTargeted("root"), T0);
    expect(published).toEqual([[{ address: TARGET, message: { kind: "execute", head: {}, data: { task: { id: "root", version: 0 } } } }]]);
    expect(heard).toEqual([]); // not delivered twice: the broadcast brings it back
    subscriber?.(published[0]![0]!);
    expect(heard).toEqual(published[0]);
    await store.close();
  });

  it("refuses work once closed", async () => {
    const store = new ProtocolStore(new MemoryBackend());
    await store.close();
    await expect(store.apply(createTargeted("root"), T0)).rejects.toThrow("closed");
    await expect(store.tick(T0)).rejects.toThrow("closed");
  });
});
