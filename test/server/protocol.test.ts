/**
 * The protocol endpoint over raw HTTP, as the official client sees it: the HTTP status equals
 * head.status, kind / corrId / version are echoed, bodies are JSON, refusals name the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { base64Json, startTestServer, type TestServer } from "./harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const HOUR = 3_600_000;
const target = { [TAG.target]: "poll://any@nobody" };

function promiseData(id: string, tags: Record<string, string> = {}) {
  return { id, timeoutAt: Date.now() + HOUR, param: { headers: {}, data: base64Json({ n: 1 }) }, tags };
}

describe("answers", () => {
  it("echo kind, corrId and version, with the HTTP status equal to head.status", async () => {
    const answer = await server.post({ kind: "promise.get", head: { corrId: "c-42", version: "2099-01-01" }, data: { id: "missing" } });
    expect(answer.status).toBe(404);
    expect(answer.contentType).toContain("application/json");
    expect(answer.body).toMatchObject({ kind: "promise.get", head: { corrId: "c-42", status: 404, version: "2099-01-01" } });
    expect(typeof answer.body.data).toBe("string");
  });
});

describe("promise kinds", () => {
  it("create is idempotent and get returns the record", async () => {
    const first = await server.send("promise.create", promiseData("p-create", { env: "test" }));
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ promise: { id: "p-create", state: "pending", tags: { env: "test" } } });
    const again = await server.send("promise.create", { ...promiseData("p-create"), param: { data: base64Json("other") } });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    const got = await server.send("promise.get", { id: "p-create" });
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(first.body.data);
  });

  it("settle resolves once; a second settle returns the promise unchanged; a missing one is 404", async () => {
    await server.send("promise.create", promiseData("p-settle"));
    const settled = await server.send("promise.settle", { id: "p-settle", state: "resolved", value: { data: base64Json(7) } });
    expect(settled.status).toBe(200);
    expect(settled.body.data).toMatchObject({ promise: { state: "resolved", value: { data: base64Json(7) } } });
    const again = await server.send("promise.settle", { id: "p-settle", state: "rejected", value: {} });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ promise: { state: "resolved" } });
    expect((await server.send("promise.settle", { id: "p-nope", state: "resolved", value: {} })).status).toBe(404);
  });

  it("register_listener: 404 for a missing promise, 422 for a local one, 200 for a global one", async () => {
    expect((await server.send("promise.register_listener", { awaited: "p-nope", address: "poll://uni@g/p" })).status).toBe(404);
    await server.send("promise.create", promiseData("p-local", { [TAG.scope]: "local" }));
    expect((await server.send("promise.register_listener", { awaited: "p-local", address: "poll://uni@g/p" })).status).toBe(422);
    await server.send("promise.create", promiseData("p-listen", { [TAG.scope]: "global" }));
    const registered = await server.send("promise.register_listener", { awaited: "p-listen", address: "poll://uni@g/p" });
    expect(registered.status).toBe(200);
    expect(registered.body.data).toMatchObject({ promise: { id: "p-listen", state: "pending" } });
  });

  it("register_callback: 404 for a missing awaited, 422 for an awaiter without a task, 200 otherwise", async () => {
    await server.send("promise.create", promiseData("p-awaited"));
    await server.send("promise.create", promiseData("p-plain"));
    await server.send("promise.create", promiseData("p-awaiter", target));
    expect((await server.send("promise.register_callback", { awaited: "p-nope", awaiter: "p-awaiter" })).status).toBe(404);
    expect((await server.send("promise.register_callback", { awaited: "p-awaited", awaiter: "p-plain" })).status).toBe(422);
    const ok = await server.send("promise.register_callback", { awaited: "p-awaited", awaiter: "p-awaiter" });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ promise: { id: "p-awaited" } });
  });

  it("search filters by id pattern, state and tags, and pages with a cursor", async () => {
    for (const n of [1, 2, 3]) await server.send("promise.create", promiseData(`search-${n}`, { batch: "s" }));
    await server.send("promise.settle", { id: "search-2", state: "resolved", value: {} });
    const pending = await server.send("promise.search", { id: "search-*", state: "pending" });
    expect((pending.body.data as { promises: { id: string }[] }).promises.map((p) => p.id)).toEqual(["search-1", "search-3"]);

    const first = await server.send("promise.search", { tags: { batch: "s" }, limit: 2 });
    const page = first.body.data as { promises: { id: string }[]; cursor?: string };
    expect(page.promises).toHaveLength(2);
    expect(page.cursor).toBeTypeOf("string");
    const second = await server.send("promise.search", { tags: { batch: "s" }, limit: 2, cursor: page.cursor });
    expect((second.body.data as { promises: { id: string }[] }).promises.map((p) => p.id)).toEqual(["search-3"]);
  });
});

describe("task kinds", () => {
  it("create, get, conflict on a second create, heartbeat, fulfill", async () => {
    const action = { kind: "promise.create" as const, head: { corrId: "a", version: PROTOCOL_VERSION }, data: promiseData("t-life", target) };
    const created = await server.send("task.create", { pid: "w1", ttl: 60_000, action });
    expect(created.status).toBe(200);
    const { task } = created.body.data as { task: { id: string; version: number; state: string } };
    expect(task).toMatchObject({ state: "acquired", pid: "w1" });
    expect((await server.send("task.create", { pid: "w2", ttl: 60_000, action })).status).toBe(409);

    const got = await server.send("task.get", { id: task.id });
    expect(got.body.data).toMatchObject({ task: { id: task.id, state: "acquired" } });
    expect((await server.send("task.get", { id: "t-nope" })).status).toBe(404);
    expect((await server.send("task.heartbeat", { pid: "w1", tasks: [{ id: task.id, version: task.version }] })).status).toBe(200);

    const fulfilled = await server.send("task.fulfill", {
      id: task.id,
      version: task.version,
      action: { kind: "promise.settle", head: { corrId: "b", version: PROTOCOL_VERSION }, data: { id: "t-life", state: "resolved", value: {} } },
    });
    expect(fulfilled.status).toBe(200);
    expect(fulfilled.body.data).toMatchObject({ promise: { id: "t-life", state: "resolved" } });
    expect((await server.send("task.get", { id: task.id })).body.data).toMatchObject({ task: { state: "fulfilled" } });
  });

  it("acquire: 404 missing, 409 when already acquired; release then acquire with the current version", async () => {
    const action = { kind: "promise.create" as const, head: { corrId: "a", version: PROTOCOL_VERSION }, data: promiseData("t-acquire", target) };
    const { task } = (await server.send("task.create", { pid: "w1", ttl: 60_000, action })).body.data as { task: { id: string; version: number } };
    expect((await server.send("task.acquire", { id: "t-nope", version: 1, pid: "w2", ttl: 1000 })).status).toBe(404);
    expect((await server.send("task.acquire", { id: task.id, version: task.version, pid: "w2", ttl: 1000 })).status).toBe(409);
    expect((await server.send("task.release", { id: task.id, version: task.version + 1 })).status).toBe(409);
    expect((await server.send("task.release", { id: task.id, version: task.version })).status).toBe(200);
    const pending = (await server.send("task.get", { id: task.id })).body.data as { task: { version: number; state: string } };
    expect(pending.task.state).toBe("pending");
    const acquired = await server.send("task.acquire", { id: task.id, version: pending.task.version, pid: "w2", ttl: 60_000 });
    expect(acquired.status).toBe(200);
    expect(acquired.body.data).toMatchObject({ task: { state: "acquired", pid: "w2" }, promise: { id: "t-acquire" } });
    expect(Array.isArray((acquired.body.data as { preload: unknown[] }).preload)).toBe(true);
  });

  it("suspend: 200 while the awaited is pending, 300 with a preload once it has settled", async () => {
    const action = { kind: "promise.create" as const, head: { corrId: "a", version: PROTOCOL_VERSION }, data: promiseData("t-suspend", target) };
    const { task } = (await server.send("task.create", { pid: "w1", ttl: 60_000, action })).body.data as { task: { id: string; version: number } };
    await server.send("promise.create", promiseData("t-suspend.1"));
    await server.send("promise.create", promiseData("t-suspend.2"));
    await server.send("promise.settle", { id: "t-suspend.2", state: "resolved", value: {} });
    const callback = (awaited: string) => ({
      kind: "promise.register_callback" as const,
      head: { corrId: "c", version: PROTOCOL_VERSION },
      data: { awaited, awaiter: task.id },
    });

    const redirected = await server.send("task.suspend", { id: task.id, version: task.version, actions: [callback("t-suspend.2")] });
    expect(redirected.status).toBe(300);
    expect(redirected.body.head?.status).toBe(300);
    expect((redirected.body.data as { preload: { id: string }[] }).preload.map((p) => p.id)).toContain("t-suspend.2");

    const suspended = await server.send("task.suspend", { id: task.id, version: task.version, actions: [callback("t-suspend.1")] });
    expect(suspended.status).toBe(200);
    expect((await server.send("task.get", { id: task.id })).body.data).toMatchObject({ task: { state: "suspended" } });
  });

  it("fence: creates while the task is held, 409 with a stale version", async () => {
    const action = { kind: "promise.create" as const, head: { corrId: "a", version: PROTOCOL_VERSION }, data: promiseData("t-fence", target) };
    const { task } = (await server.send("task.create", { pid: "w1", ttl: 60_000, action })).body.data as { task: { id: string; version: number } };
    const child = { kind: "promise.create" as const, head: { corrId: "f", version: PROTOCOL_VERSION }, data: promiseData("t-fence.1") };
    const fenced = await server.send("task.fence", { id: task.id, version: task.version, action: child });
    expect(fenced.status).toBe(200);
    expect(fenced.body.data).toMatchObject({ action: { kind: "promise.create", head: { status: 200 }, data: { promise: { id: "t-fence.1" } } } });
    expect((await server.send("task.fence", { id: task.id, version: task.version + 5, action: child })).status).toBe(409);
  });

  it("halt and continue", async () => {
    const action = { kind: "promise.create" as const, head: { corrId: "a", version: PROTOCOL_VERSION }, data: promiseData("t-halt", target) };
    const { task } = (await server.send("task.create", { pid: "w1", ttl: 60_000, action })).body.data as { task: { id: string } };
    expect((await server.send("task.halt", { id: task.id })).status).toBe(200);
    expect((await server.send("task.get", { id: task.id })).body.data).toMatchObject({ task: { state: "halted" } });
    expect((await server.send("task.continue", { id: task.id })).status).toBe(200);
    expect((await server.send("task.get", { id: task.id })).body.data).toMatchObject({ task: { state: "pending" } });
    expect((await server.send("task.halt", { id: "t-nope" })).status).toBe(404);
  });

  it("search lists tasks by state", async () => {
    const found = await server.send("task.search", { state: "halted", limit: 100 });
    expect(found.status).toBe(200);
    expect((found.body.data as { tasks: { state: string }[] }).tasks.every((t) => t.state === "halted")).toBe(true);
  });
});

describe("schedule kinds", () => {
  const schedule = {
    id: "nightly",
    cron: "0 3 * * *",
    promiseId: "{{.id}}-{{.timestamp}}",
    promiseTimeout: HOUR,
    promiseParam: { data: base64Json({ func: "report", args: [], version: 1 }) },
    promiseTags: { [TAG.target]: "poll://any@default" },
  };

  it("create (idempotent), get, search, delete, then 404", async () => {
    const created = await server.send("schedule.create", schedule);
    expect(created.status).toBe(200);
    expect(created.body.data).toMatchObject({ schedule: { id: "nightly", cron: "0 3 * * *" } });
    expect((await server.send("schedule.create", { ...schedule, cron: "* * * * *" })).body.data).toEqual(created.body.data);
    expect((await server.send("schedule.get", { id: "nightly" })).body.data).toEqual(created.body.data);
    const found = await server.send("schedule.search", {});
    expect((found.body.data as { schedules: { id: string }[] }).schedules.map((s) => s.id)).toContain("nightly");
    expect((await server.send("schedule.delete", { id: "nightly" })).status).toBe(200);
    expect((await server.send("schedule.get", { id: "nightly" })).status).toBe(404);
    expect((await server.send("schedule.delete", { id: "nightly" })).status).toBe(404);
  });
});

describe("refused input", () => {
  it("answers 400 naming the field and the expectation, and changes nothing", async () => {
    const refused = await server.post({
      kind: "promise.create",
      head: { corrId: "bad-1", version: PROTOCOL_VERSION },
      data: { id: "never-created", timeoutAt: -5, param: {}, tags: {} },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      kind: "promise.create",
      head: { corrId: "bad-1", status: 400 },
      error: { field: "data.timeoutAt", expected: expect.stringContaining("whole number of milliseconds") },
    });
    expect(refused.body.data).toContain("data.timeoutAt");
    expect((await server.send("promise.get", { id: "never-created" })).status).toBe(404);
  });

  it.each([
    ["an unknown kind", { kind: "promise.explode", head: { corrId: "x", version: "v" }, data: {} }, "kind"],
    ["a missing head", { kind: "promise.get", data: { id: "x" } }, "head"],
    ["an empty id", { kind: "promise.get", head: { corrId: "x", version: "v" }, data: { id: "" } }, "data.id"],
    ["a control character in an id", { kind: "promise.get", head: { corrId: "x", version: "v" }, data: { id: "a\u0000b" } }, "data.id"],
    ["an id over 2048 characters", { kind: "promise.get", head: { corrId: "x", version: "v" }, data: { id: "x".repeat(2049) } }, "data.id"],
    [
      "a non-string tag",
      { kind: "promise.create", head: { corrId: "x", version: "v" }, data: { id: "t", timeoutAt: 1, param: {}, tags: { a: 1 } } },
      "data.tags.a",
    ],
    [
      "data that is not a string",
      { kind: "promise.create", head: { corrId: "x", version: "v" }, data: { id: "t", timeoutAt: 1, param: { data: 42 }, tags: {} } },
      "data.param.data",
    ],
    ["a settle to pending", { kind: "promise.settle", head: { corrId: "x", version: "v" }, data: { id: "t", state: "pending", value: {} } }, "data.state"],
    ["a search limit of 0", { kind: "promise.search", head: { corrId: "x", version: "v" }, data: { limit: 0 } }, "data.limit"],
    ["a fractional version", { kind: "task.release", head: { corrId: "x", version: "v" }, data: { id: "t", version: 1.5 } }, "data.version"],
    [
      "a schedule with a bad cron",
      {
        kind: "schedule.create",
        head: { corrId: "x", version: "v" },
        data: { id: "s", cron: "every tuesday", promiseId: "p", promiseTimeout: 1, promiseParam: {}, promiseTags: { [TAG.target]: "g" } },
      },
      "data.cron",
    ],
  ])("refuses %s", async (_what, body, field) => {
    const refused = await server.post(body);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ field });
  });

  it("refuses a body that is not JSON", async () => {
    const refused = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ head: { status: 400 }, error: { field: "body", expected: "a valid JSON document" } });
  });
});

describe("body limit", () => {
  it("refuses a body over the limit with 413", async () => {
    const small = await startTestServer({ bodyLimit: 1024 });
    try {
      const refused = await small.send("promise.create", { ...promiseData("big"), param: { data: base64Json("x".repeat(2000)) } });
      expect(refused.status).toBe(413);
      expect(refused.body.error).toMatchObject({ field: "body", expected: "a request body of at most 1024 bytes" });
      expect((await small.send("promise.get", { id: "big" })).status).toBe(404);
    } finally {
      await small.close();
    }
  });
});
