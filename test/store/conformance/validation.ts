/** Bad input is refused with 400, a message naming the field, and no trace in the store. */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, MAX_ID_LENGTH, MAX_TAGS } from "../../../src/protocol/limits.js";

const MAX_VALUE = DEFAULT_LIMITS.maxValueBytes;
import type { Request } from "../../../src/protocol/requests.js";
import { T0, TARGETED, type Subject } from "./harness.js";

const TARGET_TAG = "resonate:target";

const HEAD = { corrId: "bad", version: "test" };

/** Requests the kernel must refuse, and the field each message must name. */
const BAD_REQUESTS: [string, unknown, RegExp][] = [
  ["empty id", { kind: "promise.create", head: HEAD, data: { id: "", timeoutAt: T0 + 1, param: {}, tags: TARGETED } }, /^data\.id: expected 1-2048 characters without NUL.*got ""$/],
  ["id with a NUL", { kind: "promise.create", head: HEAD, data: { id: "a\u0000b", timeoutAt: T0 + 1, param: {}, tags: TARGETED } }, /^data\.id: /],
  ["id with a lone surrogate", { kind: "promise.create", head: HEAD, data: { id: "a\ud800b", timeoutAt: T0 + 1, param: {}, tags: TARGETED } }, /^data\.id: /],
  ["id too long", { kind: "promise.create", head: HEAD, data: { id: "x".repeat(MAX_ID_LENGTH + 1), timeoutAt: T0 + 1, param: {}, tags: TARGETED } }, /^data\.id: .*2049 characters/],
  ["schedule id with ':'", { kind: "schedule.create", head: HEAD, data: { id: "a:b", cron: "* * * * *", promiseId: "p", promiseTimeout: 1, promiseParam: {}, promiseTags: TARGETED } }, /^data\.id: .*':'/],
  ["negative timeout", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: -1, param: {}, tags: TARGETED } }, /^data\.timeoutAt: /],
  ["fractional timeout", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: 1.5, param: {}, tags: TARGETED } }, /^data\.timeoutAt: /],
  ["too many tags", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: {}, tags: Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`t${i}`, "v"])) } }, /^data\.tags: expected an object of at most 1024 tags/],
  ["non-string tag", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: {}, tags: { n: 1 } } }, /^data\.tags\.n: /],
  ["data too large", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: { data: "A".repeat(MAX_VALUE + 1) }, tags: { "reprise:func": "chargeCard" } } }, /^data\.param\.data: expected at most 3145728 bytes \(limits\.maxValueBytes: new Reprise\(\{ limits: \{ maxValueBytes \} \}\) embedded, reprise serve --max-value-bytes on a server\), got \d+; promise "p" \(function chargeCard\)$/],
  ["unknown settle state", { kind: "promise.settle", head: HEAD, data: { id: "p", state: "pending", value: {} } }, /^data\.state: expected one of resolved, rejected, rejected_canceled/],
  ["empty idempotency key", { kind: "promise.settle", head: HEAD, data: { id: "p", state: "resolved", value: {}, idempotencyKey: "" } }, /^data\.idempotencyKey: /],
  // Every store must answer these alike: PostgreSQL's text cannot hold a NUL, and a lone
  // surrogate would be stored altered (U+FFFD), so an identical retry would meet a conflict.
  ["idempotency key with a NUL", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: {}, tags: {}, idempotencyKey: "k\u0000" } }, /^data\.idempotencyKey: .*without NUL/],
  ["idempotency key with a lone surrogate", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: {}, tags: {}, idempotencyKey: "a\ud800b" } }, /^data\.idempotencyKey: .*lone surrogates/],
  ["tag value with a NUL", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: {}, tags: { k: "v\u0000" } } }, /^data\.tags\.k: .*without NUL/],
  ["tag key with a lone surrogate", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: {}, tags: { "\udc00": "v" } } }, /^data\.tags\[.*lone surrogates/],
  ["unknown kind", { kind: "promise.explode", head: HEAD, data: {} }, /^kind: /],
  ["no data", { kind: "promise.get", head: HEAD }, /^data: /],
  ["negative version", { kind: "task.acquire", head: HEAD, data: { id: "p", version: -1, pid: "w", ttl: 1 } }, /^data\.version: /],
  ["bad nested action", { kind: "task.create", head: HEAD, data: { pid: "w", ttl: 1000, action: { kind: "promise.create", head: HEAD, data: { id: "", timeoutAt: T0 + 1, param: {}, tags: TARGETED } } } }, /^data\.action\.data\.id: /],
  ["wrong nested kind", { kind: "task.fulfill", head: HEAD, data: { id: "p", version: 1, action: { kind: "promise.create", head: HEAD, data: {} } } }, /^data\.action\.kind: /],
  ["schedule template too long", { kind: "schedule.create", head: HEAD, data: { id: "s", cron: "* * * * *", promiseId: `${"x".repeat(MAX_ID_LENGTH - 10)}{{.timestamp}}`, promiseTimeout: 1, promiseParam: {}, promiseTags: TARGETED } }, /^data\.promiseId: /],
  ["listener address with spaces", { kind: "promise.register_listener", head: HEAD, data: { awaited: "p", address: "a b" } }, /^data\.address: /],
];

export function validationSpecs(subject: () => Subject): void {
  describe("validation", () => {
    for (const [name, req, message] of BAD_REQUESTS) {
      it(`refuses ${name} with 400 and changes nothing`, async () => {
        const s = subject();
        const res = await s.store.apply(req as Request, T0);
        expect(res.head.status).toBe(400);
        expect(res.data).toMatch(message);
        expect((await s.ok("promise.search", {})).promises).toEqual([]);
        expect((await s.ok("task.search", {})).tasks).toEqual([]);
        expect((await s.ok("schedule.search", {})).schedules).toEqual([]);
        expect(await s.store.nextDeadline()).toBeUndefined();
        expect(s.takeMessages()).toEqual([]);
      });
    }

    it("accepts the largest payload and id allowed", async () => {
      const s = subject();
      const id = "x".repeat(MAX_ID_LENGTH);
      const { promise } = await s.create(id, { param: { data: "A".repeat(MAX_VALUE) } });
      expect(promise.id).toBe(id);
      expect((await s.getPromise(id)).param.data).toHaveLength(MAX_VALUE);
    });

    // What the reference server accepts: ids of any script with spaces and tabs, any data string, many tags.
    it("accepts ids with whitespace and any script, non-base64 data and many tags", async () => {
      const s = subject();
      const ids = ["charge 42", "tab\there", "заказ-42", "注文 42 😀", "x".repeat(MAX_ID_LENGTH - 1) + " "];
      const tags = Object.fromEntries(Array.from({ length: MAX_TAGS - 1 }, (_, i) => [`t${i}`, `v ${i}`]));
      for (const id of ids) {
        const { promise } = await s.create(id, { param: { data: "not base64: {é}_-" }, tags: { ...tags, [TARGET_TAG]: TARGETED[TARGET_TAG]! } });
        expect(promise.id).toBe(id);
        expect((await s.getPromise(id)).param.data).toBe("not base64: {é}_-");
      }
      expect((await s.ok("promise.search", { id: "注文 *" })).promises.map((p) => p.id)).toEqual(["注文 42 😀"]);
    });

    it("keeps a value's headers and data only, dropping unknown fields alike on every store", async () => {
      const s = subject();
      const extra = { headers: { h: "1" }, data: "eA==", note: "dropped" } as unknown as { data: string };
      await s.create("with-extra", { param: extra });
      await s.ok("promise.settle", { id: "with-extra", state: "resolved", value: extra });
      const stored = await s.getPromise("with-extra");
      expect(stored.param).toEqual({ headers: { h: "1" }, data: "eA==" });
      expect(stored.value).toEqual({ headers: { h: "1" }, data: "eA==" });
      expect(Object.keys(stored.param)).not.toContain("note");
    });

    it("registers a callback and a listener between two ids of the largest length", async () => {
      const s = subject();
      // Incompressible, so PostgreSQL cannot squeeze an index entry under its size limit.
      const awaited = scrambled(MAX_ID_LENGTH, 1);
      const awaiter = scrambled(MAX_ID_LENGTH, 2);
      await s.create(awaited, { tags: { "resonate:scope": "global" } });
      await s.create(awaiter, { tags: TARGETED });
      const callback = await s.store.apply({ kind: "promise.register_callback", head: HEAD, data: { awaited, awaiter } } as Request, T0);
      expect(callback.head.status).toBe(200);
      const listener = await s.store.apply({ kind: "promise.register_listener", head: HEAD, data: { awaited, address: `poll://uni@g/${scrambled(2000, 3)}` } } as Request, T0);
      expect(listener.head.status).toBe(200);
    });

    // PostgreSQL: a btree entry holds ~2,700 bytes; these ids take 4-6 KiB (migration 4 indexes hashes and prefixes).
    for (const [script, astral] of [["CJK (3-byte)", false], ["astral (4-byte)", true]] as const) {
      it(`keeps promises, child ids, tasks, callbacks, listeners and schedules with ids of the largest length in ${script} characters`, async () => {
        const s = subject();
        const root = scrambledWide(MAX_ID_LENGTH - 2, astral ? 11 : 12, astral);
        const child = `${root}.1`;
        const other = scrambledWide(MAX_ID_LENGTH, astral ? 13 : 14, astral);
        expect(child.length).toBe(MAX_ID_LENGTH);
        expect(new TextEncoder().encode(other).length).toBeGreaterThan(astral ? 4000 : 6000);

        await s.createTargeted(root);
        const global = { tags: { "resonate:scope": "global" } };
        await s.create(child, global);
        await s.create(other, global);
        expect((await s.getPromise(child)).id).toBe(child);
        const task = await s.ok("task.acquire", { id: root, version: 0, pid: "worker-1", ttl: 10_000 });
        expect(task.task.id).toBe(root);
        expect((await s.ok("promise.register_callback", { awaited: child, awaiter: root })).promise.id).toBe(child);
        expect((await s.ok("promise.register_listener", { awaited: other, address: `poll://uni@g/${scrambledWide(1000, 15, false)}` })).promise.id).toBe(other);
        // A second create of the same id is the same promise (unique on the whole id, not a prefix).
        expect((await s.create(other, global)).promise.id).toBe(other);
        const twin = `${other.slice(0, -2)}${astral ? "\u{20000}" : "一二"}`;
        expect((await s.create(twin)).promise.id).toBe(twin);

        // Ranges and paging over ids that share their first 512 characters.
        const under = await s.ok("promise.search", { id: `${root}*`, limit: 10 });
        expect(under.promises.map((p) => p.id)).toEqual([root, child]);
        const first = await s.ok("promise.search", { id: `${other.slice(0, 600)}*`, limit: 1 });
        const second = await s.ok("promise.search", { id: `${other.slice(0, 600)}*`, limit: 1, cursor: first.cursor });
        expect([...first.promises, ...second.promises].map((p) => p.id).sort()).toEqual([other, twin].sort());

        await s.ok("promise.settle", { id: child, state: "resolved", value: {} });
        expect((await s.getTask(root)).state).toBe("acquired");
        const schedule = scrambledWide(MAX_ID_LENGTH, astral ? 16 : 17, astral);
        await s.ok("schedule.create", { id: schedule, cron: "0 * * * *", promiseId: "{{.id}}", promiseTimeout: 1000, promiseParam: {}, promiseTags: TARGETED });
        expect((await s.ok("schedule.get", { id: schedule })).schedule.id).toBe(schedule);
      });
    }
  });
}

/**
 * `length` UTF-16 units of scrambled CJK (3 UTF-8 bytes each: 6 KiB at the id limit, the most an
 * id can take) or astral characters (4 bytes, 2 units each), so no compressor shortens it.
 */
function scrambledWide(length: number, seed: number, astral: boolean): string {
  let state = seed;
  let text = "";
  while (text.length < length) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    text += astral ? String.fromCodePoint(0x20000 + ((state >> 8) % 40_000)) : String.fromCharCode(0x4e00 + ((state >> 8) % 20_000));
  }
  return text;
}

/** `length` letters from a small linear congruential generator: text no compressor shortens. */
function scrambled(length: number, seed: number): string {
  let state = seed;
  return Array.from({ length }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return String.fromCharCode(97 + (state >> 16) % 26);
  }).join("");
}
