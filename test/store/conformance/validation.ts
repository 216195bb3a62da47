/** Bad input is refused with 400, a message naming the field, and no trace in the store. */
import { describe, expect, it } from "vitest";
import { MAX_DATA_LENGTH, MAX_ID_LENGTH, MAX_TAGS } from "../../../src/protocol/limits.js";
import type { Request } from "../../../src/protocol/requests.js";
import { T0, TARGETED, type Subject } from "./harness.js";

const HEAD = { corrId: "bad", version: "test" };

/** Requests the kernel must refuse, and the field each message must name. */
const BAD_REQUESTS: [string, unknown, RegExp][] = [
  ["empty id", { kind: "promise.create", head: HEAD, data: { id: "", timeoutAt: T0 + 1, param: {}, tags: TARGETED } }, /^id: expected 1-1024 printable characters.*got ""$/],
  ["id with a space", { kind: "promise.create", head: HEAD, data: { id: "a b", timeoutAt: T0 + 1, param: {}, tags: TARGETED } }, /^id: /],
  ["id with a newline", { kind: "promise.create", head: HEAD, data: { id: "a\nb", timeoutAt: T0 + 1, param: {}, tags: TARGETED } }, /^id: /],
  ["id too long", { kind: "promise.create", head: HEAD, data: { id: "x".repeat(MAX_ID_LENGTH + 1), timeoutAt: T0 + 1, param: {}, tags: TARGETED } }, /^id: .*1025 characters/],
  ["negative timeout", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: -1, param: {}, tags: TARGETED } }, /^timeoutAt: /],
  ["fractional timeout", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: 1.5, param: {}, tags: TARGETED } }, /^timeoutAt: /],
  ["too many tags", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: {}, tags: Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`t${i}`, "v"])) } }, /^tags: expected at most 64 entries/],
  ["non-string tag", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: {}, tags: { n: 1 } } }, /^tags\.n: /],
  ["data too large", { kind: "promise.create", head: HEAD, data: { id: "p", timeoutAt: T0 + 1, param: { data: "A".repeat(MAX_DATA_LENGTH + 1) }, tags: {} } }, /^param\.data: /],
  ["unknown settle state", { kind: "promise.settle", head: HEAD, data: { id: "p", state: "pending", value: {} } }, /^state: expected one of resolved, rejected, rejected_canceled/],
  ["empty idempotency key", { kind: "promise.settle", head: HEAD, data: { id: "p", state: "resolved", value: {}, idempotencyKey: "" } }, /^idempotencyKey: /],
  ["unknown kind", { kind: "promise.explode", head: HEAD, data: {} }, /^kind: /],
  ["no data", { kind: "promise.get", head: HEAD }, /^data: /],
  ["negative version", { kind: "task.acquire", head: HEAD, data: { id: "p", version: -1, pid: "w", ttl: 1 } }, /^version: /],
  ["bad nested action", { kind: "task.create", head: HEAD, data: { pid: "w", ttl: 1000, action: { kind: "promise.create", head: HEAD, data: { id: " ", timeoutAt: T0 + 1, param: {}, tags: TARGETED } } } }, /^action\.data\.id: /],
  ["wrong nested kind", { kind: "task.fulfill", head: HEAD, data: { id: "p", version: 1, action: { kind: "promise.create", head: HEAD, data: {} } } }, /^action\.kind: /],
  ["schedule template too long", { kind: "schedule.create", head: HEAD, data: { id: "s", cron: "* * * * *", promiseId: `${"x".repeat(MAX_ID_LENGTH - 10)}{{.timestamp}}`, promiseTimeout: 1, promiseParam: {}, promiseTags: TARGETED } }, /^promiseId: /],
  ["listener address with spaces", { kind: "promise.register_listener", head: HEAD, data: { awaited: "p", address: "a b" } }, /^address: /],
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
      const { promise } = await s.create(id, { param: { data: "A".repeat(MAX_DATA_LENGTH) } });
      expect(promise.id).toBe(id);
      expect((await s.getPromise(id)).param.data).toHaveLength(MAX_DATA_LENGTH);
    });
  });
}
