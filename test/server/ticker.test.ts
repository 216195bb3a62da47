/** Deadlines fire on time, driven by the ticker, and survive a server restart (they live in the store). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message, UnblockMessage } from "../../src/protocol/messages.js";
import { TAG } from "../../src/protocol/tags.js";
import { HttpTransport } from "../../src/transport/http.js";
import { eventually, startTestServer, type TestServer } from "./harness.js";

/** How late a deadline may fire (settledAt is the moment the ticker fired it). */
const ON_TIME_MS = 50;
/** How long the unblock may then take to reach the worker over its stream, on a busy test machine. */
const DELIVERY_MS = 100;

/** Subscribes as uni@g/pid and records when each unblock arrives. */
async function listen(server: TestServer, pid: string) {
  const transport = new HttpTransport({ url: server.url });
  const arrivals = new Map<string, { at: number; message: UnblockMessage }>();
  await transport.subscribe("timers", pid, (message: Message) => {
    if (message.kind === "unblock") arrivals.set(message.data.promise.id, { at: Date.now(), message });
  });
  const watch = async (id: string) => {
    const registered = await server.send("promise.register_listener", { awaited: id, address: `poll://uni@timers/${pid}` });
    // A listener registered after the deadline would get the settled promise back, not a message.
    expect(registered.body.data).toMatchObject({ promise: { state: "pending" } });
  };
  return { transport, arrivals, watch };
}

describe("ticker", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("resolves a timer at its deadline, within 50 ms, and tells the listener", async () => {
    const { transport, arrivals, watch } = await listen(server, "timer-listener");
    try {
      // Several deadlines, created out of order, with room to register every listener before the first.
      const base = Date.now() + 500;
      const deadlines = [300, 0, 600, 150].map((delay, i) => ({ id: `sleep-${i}`, timeoutAt: base + delay }));
      for (const { id, timeoutAt } of deadlines) {
        await server.send("promise.create", { id, timeoutAt, param: {}, tags: { [TAG.timer]: "true", [TAG.target]: "poll://any@nobody" } });
        await watch(id);
      }
      for (const { id, timeoutAt } of deadlines) {
        const arrival = await eventually(() => arrivals.get(id), 3000, `unblock of ${id}`);
        expect(arrival.message.data.promise.state).toBe("resolved");
        const settledAt = arrival.message.data.promise.settledAt!;
        expect(settledAt - timeoutAt).toBeGreaterThanOrEqual(0);
        expect(settledAt - timeoutAt).toBeLessThan(ON_TIME_MS);
        expect(arrival.at - settledAt).toBeLessThan(DELIVERY_MS);
      }
    } finally {
      await transport.close();
    }
  });

  it("times out a plain promise at its deadline", async () => {
    const { transport, arrivals, watch } = await listen(server, "timeout-listener");
    try {
      const timeoutAt = Date.now() + 400;
      await server.send("promise.create", { id: "deadline", timeoutAt, param: {}, tags: { [TAG.scope]: "global" } });
      await watch("deadline");
      const arrival = await eventually(() => arrivals.get("deadline"), 3000, "timeout");
      expect(arrival.message.data.promise.state).toBe("rejected_timedout");
      expect(arrival.message.data.promise.settledAt! - timeoutAt).toBeLessThan(ON_TIME_MS);
    } finally {
      await transport.close();
    }
  });
});

describe("ticker across a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-ticker-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fires a timer created before the restart, on time, from the new server", async () => {
    const storeSpec = join(dir, "reprise.db");
    const before = await startTestServer({ storeSpec });
    const timeoutAt = Date.now() + 1200;
    await before.send("promise.create", { id: "survivor", timeoutAt, param: {}, tags: { [TAG.timer]: "true", [TAG.target]: "poll://any@nobody" } });
    await before.send("promise.register_listener", { awaited: "survivor", address: "poll://uni@timers/restarted" });
    await before.close();

    const after = await startTestServer({ storeSpec });
    const transport = new HttpTransport({ url: after.url });
    try {
      const arrivals: UnblockMessage[] = [];
      await transport.subscribe("timers", "restarted", (message) => message.kind === "unblock" && arrivals.push(message));
      const [unblock] = await eventually(() => (arrivals.length ? arrivals : undefined), 5000, "unblock after restart");
      expect(unblock!.data.promise).toMatchObject({ id: "survivor", state: "resolved" });
      expect(unblock!.data.promise.settledAt! - timeoutAt).toBeLessThan(ON_TIME_MS);
    } finally {
      await transport.close();
      await after.close();
    }
  });
});
