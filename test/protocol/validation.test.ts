import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, MAX_BATCH, MAX_ID_LENGTH, MAX_TAGS } from "../../src/protocol/limits.js";
import { PROTOCOL_VERSION, type Request, type RequestKind } from "../../src/protocol/requests.js";
import { parseRequest, validatedWithin } from "../../src/protocol/validation.js";
import { ProtocolStore } from "../../src/store/kernel/index.js";
import { MemoryBackend } from "../../src/store/memory/index.js";
import { TAG } from "../../src/protocol/tags.js";

const head = { corrId: "c", version: PROTOCOL_VERSION };
const create = { kind: "promise.create", head, data: { id: "p", timeoutAt: 10, param: { headers: {}, data: "" }, tags: { [TAG.target]: "poll://any@g" } } };
const settle = { kind: "promise.settle", head, data: { id: "p", state: "resolved", value: { data: "MQ==" } } };
const callback = { kind: "promise.register_callback", head, data: { awaited: "p.1", awaiter: "p" } };

/** One valid request of every kind, as @resonatehq/sdk sends them. */
const VALID: Record<RequestKind, unknown> = {
  "promise.get": { kind: "promise.get", head, data: { id: "p" } },
  "promise.create": create,
  "promise.settle": settle,
  "promise.register_callback": callback,
  "promise.register_listener": { kind: "promise.register_listener", head, data: { awaited: "p", address: "poll://uni@g/pid" } },
  "promise.search": { kind: "promise.search", head, data: { id: "p*", state: "pending", tags: { a: "b" }, limit: 10 } },
  "task.get": { kind: "task.get", head, data: { id: "p" } },
  "task.create": { kind: "task.create", head, data: { pid: "w", ttl: 60_000, action: create } },
  "task.acquire": { kind: "task.acquire", head, data: { id: "p", version: 1, pid: "w", ttl: 60_000 } },
  "task.release": { kind: "task.release", head, data: { id: "p", version: 1 } },
  "task.suspend": { kind: "task.suspend", head, data: { id: "p", version: 1, actions: [callback] } },
  "task.halt": { kind: "task.halt", head, data: { id: "p" } },
  "task.continue": { kind: "task.continue", head, data: { id: "p" } },
  "task.fulfill": { kind: "task.fulfill", head, data: { id: "p", version: 1, action: settle } },
  "task.fence": { kind: "task.fence", head, data: { id: "p", version: 1, action: create } },
  "task.heartbeat": { kind: "task.heartbeat", head, data: { pid: "w", tasks: [{ id: "p", version: 1 }] } },
  "task.search": { kind: "task.search", head, data: { state: "acquired", limit: 5 } },
  "schedule.get": { kind: "schedule.get", head, data: { id: "s" } },
  "schedule.create": {
    kind: "schedule.create",
    head,
    data: { id: "s", cron: "*/5 * * * *", promiseId: "{{.id}}-{{.timestamp}}", promiseTimeout: 1000, promiseParam: {}, promiseTags: { [TAG.target]: "g" } },
  },
  "schedule.delete": { kind: "schedule.delete", head, data: { id: "s" } },
  "schedule.search": { kind: "schedule.search", head, data: {} },
  "reprise.declare_limits": { kind: "reprise.declare_limits", head, data: { group: "g", pid: "p", functions: [{ func: "f", concurrency: 2 }] } },
  "reprise.flow_stats": { kind: "reprise.flow_stats", head, data: {} },
  "reprise.holders": { kind: "reprise.holders", head, data: {} },
  "reprise.take_over": { kind: "reprise.take_over", head, data: { holder: "dead", pid: "p", ttl: 1000 } },
};

function refusal(body: unknown) {
  const result = parseRequest(body);
  if (result.ok) throw new Error("expected a refusal");
  return result;
}

function withData(kind: RequestKind, data: Record<string, unknown>) {
  const valid = VALID[kind] as { data: Record<string, unknown> };
  return { ...valid, data: { ...valid.data, ...data } };
}

describe("parseRequest", () => {
  it.each(Object.entries(VALID))("accepts a valid %s", (_kind, body) => {
    expect(parseRequest(body)).toMatchObject({ ok: true, request: body });
  });

  it("accepts unknown head and data fields (the store reads only the fields it knows)", () => {
    const body = { kind: "promise.get", head: { ...head, "resonate:debug_time": 5 }, data: { id: "p", extra: 1 } };
    expect(parseRequest(body)).toEqual({ ok: true, request: body });
  });

  it("names the field, the expectation and what it got in the message", () => {
    expect(refusal(withData("promise.get", { id: "nul\u0000" }))).toEqual({
      ok: false,
      field: "data.id",
      expected: "1-2048 characters without NUL or lone surrogates",
      message: 'data.id: expected 1-2048 characters without NUL or lone surrogates, got "nul\\u0000"',
    });
  });

  // What the reference server accepts (crates types.rs): any id without NUL, any data string, any number of tags.
  it.each([
    ["an id with a space", withData("promise.get", { id: "charge 42" })],
    ["an id with a tab", withData("promise.get", { id: "a\tb" })],
    ["an id of another script", withData("promise.get", { id: "注文-42 😀" })],
    ["an id of the largest length", withData("promise.get", { id: "x".repeat(MAX_ID_LENGTH) })],
    ["data that is not base64", withData("promise.settle", { value: { data: "eyJ4IjoxfQ_-" } })],
    ["a value at the limit", withData("promise.settle", { value: { data: "A".repeat(DEFAULT_LIMITS.maxValueBytes) } })],
    ["more than 64 tags", withData("promise.create", { tags: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, "v"])) })],
    ["a schedule id with spaces", withData("schedule.create", { id: "nightly report" })],
  ])("accepts %s", (_what, body) => {
    expect(parseRequest(body).ok).toBe(true);
  });

  it("refuses NUL and lone surrogates in idempotency keys and tags, as the store does", () => {
    expect(refusal(withData("promise.create", { idempotencyKey: "k\u0000" })).field).toBe("data.idempotencyKey");
    expect(refusal(withData("promise.settle", { idempotencyKey: "a\ud800b" })).field).toBe("data.idempotencyKey");
    expect(refusal(withData("promise.create", { tags: { k: "v\u0000" } })).field).toBe("data.tags.k");
    expect(refusal(withData("promise.create", { tags: { "\udc00": "v" } })).field).toBe('data.tags["\\udc00"]');
    expect(parseRequest(withData("promise.create", { idempotencyKey: "a\ud83d\ude00b", tags: { k: "v \t ü" } })).ok).toBe(true);
  });

  it("bounds values by the limits it is given", () => {
    const body = withData("promise.settle", { value: { data: "é".repeat(600) } });
    expect(parseRequest(body, { ...DEFAULT_LIMITS, maxValueBytes: 1200 }).ok).toBe(true);
    expect(parseRequest(body, { ...DEFAULT_LIMITS, maxValueBytes: 1199 })).toMatchObject({ ok: false, field: "data.value.data" });
  });

  it.each([
    ["not an object", "[]", "body"],
    ["an unknown kind", { kind: "nope", head, data: {} }, "kind"],
    ["a kind inherited from Object", { kind: "toString", head, data: {} }, "kind"],
    ["a head without corrId", { kind: "promise.get", head: { version: "v" }, data: { id: "p" } }, "head.corrId"],
    ["a timeoutAt that is not a whole number", withData("promise.create", { timeoutAt: 1.5 }), "data.timeoutAt"],
    ["a negative ttl", withData("task.acquire", { ttl: -1 }), "data.ttl"],
    ["a version given as a string", withData("task.release", { version: "1" }), "data.version"],
    ["too many tags", withData("promise.create", { tags: Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`k${i}`, "v"])) }), "data.tags"],
    ["an empty tag key", withData("promise.create", { tags: { "": "v" } }), 'data.tags[""]'],
    ["a header that is not a string", withData("promise.create", { param: { headers: { a: 1 } } }), "data.param.headers.a"],
    ["oversized data", withData("promise.settle", { value: { data: "A".repeat(DEFAULT_LIMITS.maxValueBytes + 1) } }), "data.value.data"],
    ["an id with a NUL", withData("promise.get", { id: "a\u0000" }), "data.id"],
    ["an id with a lone surrogate", withData("promise.get", { id: "a\udc00" }), "data.id"],
    ["an id over the limit", withData("promise.get", { id: "x".repeat(MAX_ID_LENGTH + 1) }), "data.id"],
    ["a schedule id with ':'", withData("schedule.create", { id: "a:b" }), "data.id"],
    ["a settle to timed out", withData("promise.settle", { state: "rejected_timedout" }), "data.state"],
    ["a callback on itself", withData("promise.register_callback", { awaited: "p", awaiter: "p" }), "data.awaiter"],
    ["an address with spaces", withData("promise.register_listener", { address: "poll://any@my group" }), "data.address"],
    ["a search limit over 1000", withData("promise.search", { limit: 1001 }), "data.limit"],
    ["a bad task state", withData("task.search", { state: "running" }), "data.state"],
    ["a task.create without a target", withData("task.create", { action: { ...create, data: { ...create.data, tags: {} } } }), 'data.action.data.tags["resonate:target"]'],
    ["a task.create with a settle action", withData("task.create", { action: settle }), "data.action.kind"],
    ["a fulfill of another promise", withData("task.fulfill", { action: { ...settle, data: { ...settle.data, id: "q" } } }), "data.action.data.id"],
    ["a fence with a get action", withData("task.fence", { action: { kind: "promise.get", head, data: { id: "p" } } }), "data.action.kind"],
    ["a suspend with no actions", withData("task.suspend", { actions: [] }), "data.actions"],
    ["a suspend for another awaiter", withData("task.suspend", { actions: [{ ...callback, data: { awaited: "x", awaiter: "q" } }] }), "data.actions[0].data.awaiter"],
    ["a suspend on its own promise", withData("task.suspend", { actions: [{ ...callback, data: { awaited: "p", awaiter: "p" } }] }), "data.actions[0].data.awaited"],
    ["a heartbeat of too many tasks", withData("task.heartbeat", { tasks: Array.from({ length: MAX_BATCH + 1 }, () => ({ id: "p", version: 1 })) }), "data.tasks"],
    ["a heartbeat entry without version", withData("task.heartbeat", { tasks: [{ id: "p" }] }), "data.tasks[0].version"],
    ["a bad cron", withData("schedule.create", { cron: "61 * * * *" }), "data.cron"],
    ["a schedule without a target", withData("schedule.create", { promiseTags: {} }), 'data.promiseTags["resonate:target"]'],
  ])("refuses %s", (_what, body, field) => {
    expect(refusal(body).field).toBe(field);
  });
});

describe("a request the edge accepted", () => {
  it("is not validated again by a store with limits no stricter, and is by one with stricter limits", async () => {
    const body = withData("promise.create", { id: "big", param: { data: "A".repeat(100) } });
    expect(parseRequest(body).ok).toBe(true);
    expect(validatedWithin(body as object, DEFAULT_LIMITS)).toBe(true);
    expect(validatedWithin(body as object, { ...DEFAULT_LIMITS, maxValueBytes: 99 })).toBe(false);
    expect(validatedWithin({ ...(body as object) }, DEFAULT_LIMITS)).toBe(false);

    const strict = new ProtocolStore(new MemoryBackend(), { limits: { maxValueBytes: 99 } });
    try {
      const refused = await strict.apply(body as unknown as Request, 0);
      expect(refused.head.status).toBe(400);
      expect(refused.data).toMatch(/^data\.param\.data: expected at most 99 bytes/);
    } finally {
      await strict.close();
    }
  });
});
