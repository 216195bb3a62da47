/** Worker streams: what reaches which connected process, keepalives, cleanup on disconnect. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/messages.js";
import { TAG } from "../../src/protocol/tags.js";
import { HttpTransport } from "../../src/transport/http.js";
import { eventually, startTestServer, type TestServer } from "./harness.js";

let server: TestServer;
const transports: HttpTransport[] = [];

beforeAll(async () => {
  server = await startTestServer({ keepaliveMs: 50 });
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
});
afterAll(async () => {
  await server.close();
});

/** Connects a worker `pid` of `group`; returns the messages it receives, as they arrive. */
async function connect(group: string, pid: string): Promise<Message[]> {
  const transport = new HttpTransport({ url: server.url });
  transports.push(transport);
  const received: Message[] = [];
  await transport.subscribe(group, pid, (message) => received.push(message));
  return received;
}

function create(id: string, tags: Record<string, string>) {
  return server.send("promise.create", { id, timeoutAt: Date.now() + 60_000, param: {}, tags: { [TAG.scope]: "global", ...tags } });
}

const executes = (messages: Message[]) => messages.filter((m) => m.kind === "execute");

describe("execute", () => {
  it("reaches a connected member of the target group when a targeted promise is created", async () => {
    const inbox = await connect("orders", "w1");
    await create("exec-1", { [TAG.target]: "poll://any@orders" });
    const [message] = await eventually(() => (inbox.length ? inbox : undefined), 2000, "execute");
    expect(message).toMatchObject({ kind: "execute", data: { task: { id: expect.any(String), version: expect.any(Number) } } });
  });

  it("goes round-robin over the members of a group", async () => {
    const a = await connect("rr", "a");
    const b = await connect("rr", "b");
    for (const n of [1, 2, 3, 4]) await create(`rr-${n}`, { [TAG.target]: "poll://any@rr" });
    await eventually(() => (executes(a).length + executes(b).length === 4 ? true : undefined), 2000, "four executes");
    expect(executes(a)).toHaveLength(2);
    expect(executes(b)).toHaveLength(2);
  });

  it("treats a bare group name as any member of it", async () => {
    const inbox = await connect("bare", "w1");
    await create("bare-1", { [TAG.target]: "bare" });
    await eventually(() => (executes(inbox).length ? true : undefined), 2000, "execute");
  });

  it("prefers the named process of any@group/pid, and falls back to the group when it is gone", async () => {
    const named = await connect("pref", "chosen");
    const other = await connect("pref", "other");
    for (const n of [1, 2, 3]) await create(`pref-${n}`, { [TAG.target]: "poll://any@pref/chosen" });
    await eventually(() => (executes(named).length === 3 ? true : undefined), 2000, "three executes to the named pid");
    expect(executes(other)).toHaveLength(0);

    await create("pref-gone", { [TAG.target]: "poll://any@pref/departed" });
    await eventually(() => (executes(named).length + executes(other).length === 4 ? true : undefined), 2000, "fallback");
  });
});

describe("unblock", () => {
  it("reaches the listening process when the awaited promise settles", async () => {
    const inbox = await connect("clients", "c1");
    await create("awaited-1", {});
    await server.send("promise.register_listener", { awaited: "awaited-1", address: "poll://uni@clients/c1" });
    await server.send("promise.settle", { id: "awaited-1", state: "resolved", value: { data: "MQ==" } });
    const [message] = await eventually(() => (inbox.length ? inbox : undefined), 2000, "unblock");
    expect(message).toMatchObject({ kind: "unblock", data: { promise: { id: "awaited-1", state: "resolved", value: { data: "MQ==" } } } });
  });

  it("does not reach another process of the same group", async () => {
    const listener = await connect("uni", "listener");
    const bystander = await connect("uni", "bystander");
    await create("awaited-2", {});
    await server.send("promise.register_listener", { awaited: "awaited-2", address: "poll://uni@uni/listener" });
    await server.send("promise.settle", { id: "awaited-2", state: "rejected", value: {} });
    await eventually(() => (listener.length ? true : undefined), 2000, "unblock");
    expect(bystander).toHaveLength(0);
  });
});

describe("streams", () => {
  it("send keepalive comments and register the worker until it disconnects", async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/poll/raw/p1`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes(": keepalive")) text += new TextDecoder().decode((await reader.read()).value);
    expect((await server.get("/workers")).body.workers).toContainEqual({ group: "raw", pid: "p1", connectedAt: expect.any(Number) });

    controller.abort();
    await eventually(async () => {
      const { workers } = (await server.get("/workers")).body as { workers: { group: string }[] };
      return workers.some((w) => w.group === "raw") ? undefined : true;
    }, 2000, "cleanup after disconnect");
  });

  it("are ended when the server closes, so shutdown does not hang", async () => {
    const local = await startTestServer();
    const transport = new HttpTransport({ url: local.url, retry: { maxAttempts: 1 } });
    await transport.subscribe("g", "p", () => {});
    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await transport.close();
  });
});
