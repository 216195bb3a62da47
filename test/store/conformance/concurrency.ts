/** Many callers at once on the same ids: each promise is created once and settled once. */
import { describe, expect, it } from "vitest";
import type { PromiseRecord } from "../../../src/protocol/records.js";
import { T0, type Subject } from "./harness.js";

const IDS = 20;
const CALLERS_PER_ID = 10; // 200 concurrent creates, then 200 concurrent settles

export function concurrencySpecs(subject: () => Subject): void {
  describe("concurrency", () => {
    it("agrees on one creator and one settler per id among 200 concurrent callers", async () => {
      const s = subject();
      const calls = Array.from({ length: IDS * CALLERS_PER_ID }, (_, n) => ({ id: `c${n % IDS}`, caller: `caller-${n}` }));

      const creates = await Promise.all(
        calls.map(({ id, caller }) =>
          s.send("promise.create", { id, timeoutAt: T0 + 60_000, param: { data: caller }, tags: {}, idempotencyKey: caller }),
        ),
      );
      const creators = new Map<string, string>();
      creates.forEach((res, n) => {
        const { id, caller } = calls[n]!;
        if (res.head.status === 409) return;
        expect(res.head.status).toBe(200);
        const promise = (res.data as { promise: PromiseRecord }).promise;
        expect(promise.idempotencyKeyForCreate).toBe(caller);
        expect(creators.has(id), `${id} created twice`).toBe(false);
        creators.set(id, caller);
      });
      expect(creators.size).toBe(IDS);

      const settles = await Promise.all(
        calls.map(({ id, caller }, n) =>
          s.send(
            "promise.settle",
            { id, state: n % 2 === 0 ? "resolved" : "rejected", value: { data: caller }, idempotencyKey: caller },
            T0 + 1,
          ),
        ),
      );
      const settlers = new Map<string, string>();
      settles.forEach((res, n) => {
        const { id, caller } = calls[n]!;
        if (res.head.status === 409) return;
        expect(res.head.status).toBe(200);
        const promise = (res.data as { promise: PromiseRecord }).promise;
        expect(promise.idempotencyKeyForComplete).toBe(caller);
        expect(settlers.has(id), `${id} settled twice`).toBe(false);
        settlers.set(id, caller);
      });
      expect(settlers.size).toBe(IDS);

      for (const [id, settler] of settlers) {
        const promise = await s.getPromise(id, T0 + 2);
        expect(promise).toMatchObject({
          idempotencyKeyForCreate: creators.get(id),
          idempotencyKeyForComplete: settler,
          value: { data: settler },
          param: { data: creators.get(id) },
        });
      }
    });

    it("applies concurrent protocol retries (no keys) as one create and one settle", async () => {
      const s = subject();
      const creates = await Promise.all(Array.from({ length: 50 }, () => s.create("same")));
      expect(new Set(creates.map((c) => JSON.stringify(c.promise))).size).toBe(1);
      const settles = await Promise.all(
        Array.from({ length: 50 }, (_, n) => s.settle("same", n % 2 ? "resolved" : "rejected", T0 + 1 + n, `v${n}`)),
      );
      expect(new Set(settles.map((r) => JSON.stringify(r.promise))).size).toBe(1);
    });
  });
}
