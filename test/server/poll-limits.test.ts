/**
 * Worker streams are bounded (issue 11, items 1 and 12): a stream whose reader stalls is closed
 * once its backlog passes the buffer bound, the path segments follow the id rules, and the number
 * of open streams is capped. A bare Fastify app with the poll route alone, on loopback.
 */
import { get, type IncomingMessage } from "node:http";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_ID_LENGTH } from "../../src/protocol/limits.js";
import type { Message } from "../../src/protocol/messages.js";
import { registerPollRoute } from "../../src/server/poll-route.js";
import { Workers } from "../../src/server/workers.js";
import { eventually } from "./harness.js";
import { stalledReader } from "./raw-http.js";

const BUFFER = 64 * 1024;
const VALUE = "A".repeat(256 * 1024);

interface PollServer {
  app: FastifyInstance;
  workers: Workers;
  port: number;
}

const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function pollServer(maxStreams?: number): Promise<PollServer> {
  const workers = new Workers();
  // The server's own router bound (app.ts), so over-long segments reach the route's check.
  const app = Fastify({ routerOptions: { maxParamLength: 9 * MAX_ID_LENGTH } });
  registerPollRoute(app, { workers, keepaliveMs: 60_000, maxBufferedBytes: BUFFER, ...(maxStreams === undefined ? {} : { maxStreams }) });
  await app.listen({ port: 0, host: "127.0.0.1" });
  opened.push({ close: () => (workers.closeAll(), app.close()) });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  return { app, workers, port: address.port };
}

function unblock(id: string): Message {
  return {
    kind: "unblock",
    head: {},
    data: { promise: { id, state: "resolved", param: {}, value: { data: VALUE }, tags: {}, timeoutAt: 0, createdAt: 0, settledAt: 0 } },
  } as unknown as Message;
}

function status(port: number, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get({ host: "127.0.0.1", port, path }, resolve);
    request.on("error", reject);
    opened.push({ close: () => request.destroy() });
  });
}

const yieldToIo = () => new Promise((resolve) => setImmediate(resolve));

describe("a worker stream that never reads", () => {
  it("is closed once its backlog passes the buffer bound, and leaves the workers", async () => {
    const { workers, port } = await pollServer();
    await stalledReader(port, "/poll/slow/p0", (socket) => opened.push({ close: () => socket.destroy() }));
    expect(workers.list()).toHaveLength(1);

    // 200 × 256 KiB = 50 MiB: far past what loopback socket buffers take, so without the bound
    // the server's heap would hold the rest. With it, the stream goes within a few messages.
    let sent = 0;
    while (workers.list().length > 0 && sent < 200) {
      workers.deliver("poll://uni@slow/p0", unblock(`p${sent++}`));
      await yieldToIo();
    }
    await eventually(() => (workers.list().length === 0 ? true : undefined), 2000, "the stalled stream to be removed");
    expect(sent).toBeLessThan(200);
  });

  it("is not closed while its reader keeps up", async () => {
    const { workers, port } = await pollServer();
    const response = await status(port, "/poll/fast/p0");
    let received = 0;
    response.setEncoding("latin1").on("data", (chunk: string) => (received += chunk.split("data: ").length - 1));
    for (let n = 0; n < 20; n++) {
      workers.deliver("poll://uni@fast/p0", unblock(`p${n}`));
      // One message in flight at a time: a reader that keeps up never has a backlog past the bound.
      await eventually(() => (received > n ? true : undefined), 5000, `message ${n}`);
    }
    expect(workers.list()).toHaveLength(1);
  });
});

describe("the poll path", () => {
  it.each([
    ["a NUL in the group", "/poll/a%00b/p0"],
    ["CR/LF in the pid", "/poll/g/p%0D%0Ainjected"],
    ["a space in the pid", "/poll/g/p%200"],
    ["a lone surrogate", "/poll/g/%ED%A0%80"],
    ["a '/' in the group", "/poll/a%2Fb/p0"],
    ["an over-long pid", `/poll/g/${"p".repeat(MAX_ID_LENGTH + 1)}`],
  ])("refuses %s with 400 and opens no stream", async (_name, path) => {
    const { workers, port } = await pollServer();
    const response = await status(port, path);
    expect(response.statusCode).toBe(400);
    expect(workers.list()).toEqual([]);
  });

  it("refuses empty segments and opens no stream", async () => {
    const { workers, port } = await pollServer();
    for (const path of ["/poll//p0", "/poll/g/", "/poll//"]) {
      const response = await status(port, path);
      expect([400, 404]).toContain(response.statusCode);
      response.resume();
    }
    expect(workers.list()).toEqual([]);
  });
});

describe("open streams", () => {
  it("are capped: one more is refused with 503 and Retry-After, and a freed slot is taken again", async () => {
    const { workers, port } = await pollServer(2);
    const first = await status(port, "/poll/g/p1");
    const second = await status(port, "/poll/g/p2");
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);

    const third = await status(port, "/poll/g/p3");
    expect(third.statusCode).toBe(503);
    expect(third.headers["retry-after"]).toBe("5");
    expect(workers.list().map((worker) => worker.pid)).toEqual(["p1", "p2"]);

    first.destroy();
    await eventually(() => (workers.list().length === 1 ? true : undefined), 2000, "the first stream to close");
    const fourth = await status(port, "/poll/g/p4");
    expect(fourth.statusCode).toBe(200);
  });
});
