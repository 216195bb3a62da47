/**
 * A task released again and again without progress backs off: its record counts the releases,
 * /metrics counts it as in backoff, and a refused fenced write is logged once per task and shown
 * on the execution (the dashboard's GET /api/executions/:id).
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { TAG } from "../../src/protocol/tags.js";
import { startTestServer, type TestServer } from "./harness.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function acquiredRoot(s: TestServer, id: string): Promise<number> {
  const created = await s.send("task.create", {
    pid: "w1",
    ttl: 60_000,
    action: { kind: "promise.create", head: { corrId: "c", version: "v" }, data: { id, timeoutAt: Date.now() + 600_000, param: {}, tags: { [TAG.target]: "poll://any@g" } } },
  });
  expect(created.status).toBe(200);
  return (created.body.data as { task: { version: number } }).task.version;
}

describe("re-delivery backoff", () => {
  it("shows the releases on the task and the task in /metrics", async () => {
    server = await startTestServer();
    let version = await acquiredRoot(server, "spin");
    for (let release = 0; release < 3; release++) {
      expect((await server.send("task.release", { id: "spin", version })).status).toBe(200);
      if (release < 2) {
        const acquired = await server.send("task.acquire", { id: "spin", version, pid: "w1", ttl: 60_000 });
        expect(acquired.status).toBe(200);
        version += 1;
      }
    }
    const tasks = ((await server.get("/tasks?state=pending")).body as { tasks: { id: string; releases?: number }[] }).tasks;
    expect(tasks).toEqual([expect.objectContaining({ id: "spin", releases: 3 })]);
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^reprise_tasks_in_backoff 1$/m);
  });

  it("logs a refused fenced write once per task, naming the task and the field", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    server = await startTestServer({ logger: pino({ level: "warn" }, sink) });
    const version = await acquiredRoot(server, "refused");
    const bad = { kind: "promise.settle" as const, head: { corrId: "c", version: "v" }, data: { id: "refused.1", state: "resolved" as const, value: { data: 42 as unknown as string } } };
    for (let attempt = 0; attempt < 3; attempt++) expect((await server.send("task.fence", { id: "refused", version, action: bad })).status).toBe(400);
    const refusals = lines.filter((line) => line.includes("refused a fenced write"));
    expect(refusals).toHaveLength(1);
    expect(JSON.parse(refusals[0]!)).toMatchObject({ task: "refused", field: "data.action.data.value.data" });
  });

  it("shows the last refused write on the execution in the dashboard's API, through the protocol and in a batch", async () => {
    server = await startTestServer();
    const version = await acquiredRoot(server, "stuck");
    const detail = async () => (await server!.get("/api/executions/stuck")).body as { refusedWrite?: Record<string, unknown> };
    expect((await detail()).refusedWrite).toBeUndefined();

    const head = { corrId: "c", version: "v" };
    const child = { kind: "promise.create" as const, head, data: { id: "stuck.1\u0000", timeoutAt: Date.now() + 60_000, param: {}, tags: {} } };
    const before = Date.now();
    expect((await server.send("task.fence", { id: "stuck", version, action: child })).status).toBe(400);
    expect((await detail()).refusedWrite).toEqual({
      kind: "task.fence",
      field: "data.action.data.id",
      message: expect.stringMatching(/^data\.action\.data\.id: expected 1-2048 characters without NUL/),
      at: expect.any(Number),
    });
    expect((await detail()).refusedWrite!.at).toBeGreaterThanOrEqual(before);

    // The latest refusal replaces the earlier one, whichever way it came.
    const settle = { kind: "promise.settle" as const, head, data: { id: "stuck", state: "resolved" as const, value: { data: 7 as unknown as string } } };
    const batch = await server.post({ kind: "reprise.batch", head, data: { requests: [{ kind: "task.fulfill", head, data: { id: "stuck", version, action: settle } }] } });
    expect(batch.status).toBe(200);
    expect((await detail()).refusedWrite).toMatchObject({ kind: "task.fulfill", field: "data.action.data.value.data" });
    expect((await server.get("/api/executions/other")).status).toBe(404);
  });
});
