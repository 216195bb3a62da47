/**
 * A step that just ran here reads its result back without decoding it only where decoding would
 * give the same value: a primitive the record holds as this run encoded it. Everything else reads
 * back as a replay reads it, decoded from the record.
 */
import { afterEach, describe, expect, it } from "vitest";
import { encodeValue } from "../../src/protocol/codec.js";
import type { PromiseRecord } from "../../src/protocol/records.js";
import { recordedAsRun, resultOf, type Result } from "../../src/engine/replay.js";
import { Reprise, type Context } from "../../src/index.js";

const record = (value: ReturnType<typeof encodeValue>, state: PromiseRecord["state"] = "resolved"): PromiseRecord => ({
  id: "a.1",
  state,
  param: {},
  value: { ...value, headers: { "reprise:attempts": "1" } },
  tags: {},
  timeoutAt: 1,
  createdAt: 0,
});

describe("recordedAsRun", () => {
  it("answers a primitive as it ran, the same value a replay decodes", () => {
    for (const value of ["text", "", "\uD800 lone", 0, 42.5, 1e21, Number.POSITIVE_INFINITY, true, null, undefined]) {
      const settled = { state: "resolved" as const, value: encodeValue(value), attempts: 1 };
      const ran: Result = { ok: true, value };
      const stored = record(settled.value);
      expect(recordedAsRun(stored, settled, ran)).toBe(ran);
      expect(resultOf(stored)).toEqual({ ok: true, value });
    }
  });

  it("leaves to decoding what would not read back as itself, or is not what this run recorded", () => {
    const minusZero = { state: "resolved" as const, value: encodeValue(-0), attempts: 1 };
    expect(recordedAsRun(record(minusZero.value), minusZero, { ok: true, value: -0 })).toBeUndefined();
    expect(Object.is((resultOf(record(minusZero.value)) as { value: number }).value, 0)).toBe(true);
    const object = { state: "resolved" as const, value: encodeValue({ at: 1 }), attempts: 1 };
    expect(recordedAsRun(record(object.value), object, { ok: true, value: { at: 1 } })).toBeUndefined();
    // The store kept another record (an earlier run's): its value, not ours, is the result.
    const ours = { state: "resolved" as const, value: encodeValue(1), attempts: 1 };
    expect(recordedAsRun(record(encodeValue(2)), ours, { ok: true, value: 1 })).toBeUndefined();
    expect(recordedAsRun(record(ours.value, "rejected"), ours, { ok: true, value: 1 })).toBeUndefined();
  });
});

const instances: Reprise[] = [];
afterEach(async () => {
  await Promise.all(instances.splice(0).map((r) => r.stop()));
});

function negativeZero(_ctx: Context): number {
  return -0;
}
function* readsMinusZero(ctx: Context): Generator<unknown, boolean, unknown> {
  const value = yield* ctx.run(negativeZero);
  return Object.is(value, -0);
}

it("a workflow sees a step's -0 as 0 when it runs, as every replay will", async () => {
  const reprise = new Reprise({ store: ":memory:", logLevel: "silent" });
  instances.push(reprise);
  reprise.register("readsMinusZero", readsMinusZero);
  expect(await reprise.run("zero-1", "readsMinusZero")).toBe(false);
});
