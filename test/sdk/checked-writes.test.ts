/**
 * The SDK's own writes are validated where they are built (sdk/checked-writes.ts) and sent marked,
 * so the embedded store does not validate them again. The checks may only be stricter than the
 * store's validator: every request sent marked must be one the validator accepts, whatever the
 * call's id, function name, tags, deadline and value size. What fails a check goes unmarked, and
 * the validator refuses it with its own message (value-limit.test.ts shows that end to end).
 */
import { fc, test } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import type { ChildSpec, Settled } from "../../src/engine/effects.js";
import { encodeValue } from "../../src/protocol/codec.js";
import { MAX_ID_LENGTH, MAX_TAG_VALUE_LENGTH, resolveLimits } from "../../src/protocol/limits.js";
import type { PromiseRecord } from "../../src/protocol/records.js";
import type { Request, Response } from "../../src/protocol/requests.js";
import { validatedWithin, validateRequest } from "../../src/protocol/validation.js";
import { ProtocolClient } from "../../src/sdk/client.js";
import { TaskEffects } from "../../src/sdk/task-effects.js";
import type { Transport } from "../../src/transport/transport.js";
import { EmbeddedTransport } from "../../src/transport/embedded.js";
import { openStore } from "../../src/store/index.js";
import { Reprise, type Context } from "../../src/index.js";

const limits = resolveLimits({ maxValueBytes: 64 });

/** Keeps what it is sent and answers as a store that recorded it would. */
function capturing(): { sent: Request[]; transport: Transport } {
  const sent: Request[] = [];
  const promise: PromiseRecord = { id: "x", state: "resolved", param: {}, value: {}, tags: {}, timeoutAt: 0, createdAt: 0 };
  const transport: Transport = {
    send: (async (req: Request) => {
      sent.push(req);
      return { kind: req.kind, head: { corrId: req.head.corrId, status: 200, version: req.head.version }, data: { action: { kind: "promise.create", head: { status: 200 }, data: { promise } } } } as unknown as Response;
    }) as Transport["send"],
    subscribe: async () => {},
    close: async () => {},
  };
  return { sent, transport };
}

function effects(transport: Transport, checkedUnder: number | undefined): TaskEffects {
  return new TaskEffects({ client: new ProtocolClient(transport), task: { id: "order-1", version: 3 }, known: new Map(), historyComplete: true, ...(checkedUnder === undefined ? {} : { checkedUnder }) });
}

const plainSpec: ChildSpec = { id: "order-1.1", kind: "step", func: "charge", parentId: "order-1", param: encodeValue({ func: "charge", args: [1], version: 1 }), timeoutAt: 1_000_000, tags: {} };
const plainResult: Settled = { state: "resolved", value: encodeValue(42), attempts: 1, startedAt: 5 };

// Ids and names at and past their bounds, and with what no id may hold (NUL, a lone surrogate).
const idLike = fc.oneof(
  fc.string({ minLength: 0, maxLength: 12 }),
  fc.constantFrom("", "a\u0000b", "lone\uD800", "x".repeat(MAX_ID_LENGTH), "x".repeat(MAX_ID_LENGTH + 1), "order-1.1"),
);
const funcLike = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("f\u0000", "\uDC00", "f".repeat(MAX_TAG_VALUE_LENGTH), "f".repeat(MAX_TAG_VALUE_LENGTH + 1)));
const timeLike = fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom(-1, 1.5, Number.NaN, 2 ** 63, Number.MAX_SAFE_INTEGER));
// Data around the 64-byte limit, ASCII and multi-byte.
const dataLike = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom("y".repeat(64), "y".repeat(65), "é".repeat(32), "é".repeat(33)));
const headersLike = fc.oneof(
  fc.constant(undefined),
  fc.constant({}),
  fc.constantFrom<Record<string, string>>({ "reprise:attempts": "2" }, { "reprise:attempts": "two" }, { other: "1" }, { "": "1" }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
);
const valueLike = fc.record({ headers: headersLike, data: fc.option(dataLike, { nil: undefined }) }, { requiredKeys: [] });
const tagsLike = fc.oneof(
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  fc.constantFrom<Record<string, string>>({ "reprise:priority": "high" }, { "resonate:target": "poll://any@workers" }, { "reprise:retention": "-1" }),
);
const specLike = fc.record({
  id: idLike,
  kind: fc.constantFrom("step", "workflow"),
  func: funcLike,
  parentId: fc.constant("order-1"),
  param: valueLike,
  timeoutAt: timeLike,
  tags: tagsLike,
}) as fc.Arbitrary<ChildSpec>;
const settledLike = fc.record({
  state: fc.constantFrom("resolved", "rejected"),
  value: valueLike,
  attempts: fc.integer({ min: 1, max: 5 }),
  startedAt: fc.option(timeLike, { nil: undefined }),
}) as fc.Arbitrary<Settled>;

describe("the SDK's checked writes", () => {
  test.prop([specLike, fc.option(settledLike, { nil: undefined })], { numRuns: 2000 })(
    "a step's create or record goes marked only when the store's validator accepts it",
    async (spec, result) => {
      const { sent, transport } = capturing();
      const writes = effects(transport, limits.maxValueBytes);
      await (result === undefined ? writes.create(spec) : writes.record(spec, result));
      const [req] = sent;
      if (validatedWithin(req!, limits)) expect(validateRequest(req, limits)).toBeUndefined();
    },
  );

  test.prop([idLike, fc.constantFrom("resolved", "rejected", "rejected_canceled"), valueLike], { numRuns: 1000 })(
    "a settle goes marked only when the store's validator accepts it",
    async (id, state, value) => {
      const { sent, transport } = capturing();
      // A settle names a promise the execution read or wrote, so its id is one the store holds.
      const known = /^[\w.-]{1,40}$/.test(id) ? id : "order-1.2";
      await effects(transport, limits.maxValueBytes).settle(known, { state: state as Settled["state"], value, attempts: 1 });
      const [req] = sent;
      if (validatedWithin(req!, limits)) expect(validateRequest(req, limits)).toBeUndefined();
    },
  );

  it("marks the common step record, and leaves what it cannot vouch for to the validator", async () => {
    const { sent, transport } = capturing();
    const writes = effects(transport, limits.maxValueBytes);
    await writes.record(plainSpec, plainResult);
    await writes.record({ ...plainSpec, tags: { team: "billing" } }, plainResult);
    await writes.record(plainSpec, { ...plainResult, value: encodeValue("z".repeat(80)) });
    await writes.record({ ...plainSpec, id: "x".repeat(MAX_ID_LENGTH + 1) }, plainResult);
    expect(sent.map((req) => validatedWithin(req, limits))).toEqual([true, false, false, false]);
    // The validator then refuses the last two with its own message.
    expect(validateRequest(sent[2], limits)?.message).toMatch(/expected at most 64 bytes/);
    expect(validateRequest(sent[3], limits)?.field).toBe("data.action.data.id");
  });

  it("marks nothing without an embedded store's limit, and nothing for a store whose limit is lower", async () => {
    const { sent, transport } = capturing();
    await effects(transport, undefined).record(plainSpec, plainResult);
    await effects(transport, limits.maxValueBytes).record(plainSpec, plainResult);
    expect(validatedWithin(sent[0]!, limits)).toBe(false);
    expect(validatedWithin(sent[1]!, resolveLimits({ maxValueBytes: 32 }))).toBe(false);
  });
});

const instances: Reprise[] = [];
afterEach(async () => {
  await Promise.all(instances.splice(0).map((r) => r.stop()));
});

function double(_ctx: Context, n: number): number {
  return n * 2;
}
function* twoSteps(ctx: Context, n: number): Generator<unknown, number, unknown> {
  const once = yield* ctx.run(double, n);
  return yield* ctx.run(double, once);
}

describe("an embedded Reprise", () => {
  it("sends a run's step records and fulfilment marked, and the run's start (a user's call) unmarked", async () => {
    const store = await openStore(":memory:");
    const embedded = new EmbeddedTransport(store);
    const seen: Request[] = [];
    const transport: Transport = {
      send: ((req: Request) => (seen.push(req), embedded.send(req))) as Transport["send"],
      subscribe: (group, pid, onMessage) => embedded.subscribe(group, pid, onMessage),
      close: () => embedded.close(),
    };
    const reprise = new Reprise({ transport, logLevel: "silent" });
    instances.push(reprise);
    reprise.register("twoSteps", twoSteps);
    expect(await reprise.run("checked-1", "twoSteps", 5)).toBe(20);
    // Checked against the limits the store was opened with (the defaults).
    const marked = (kind: string) => seen.filter((req) => req.kind === kind).map((req) => validatedWithin(req, resolveLimits({})));
    expect(marked("task.create")).toEqual([false]);
    expect(marked("task.fence")).toEqual([true, true]);
    expect(marked("task.fulfill")).toEqual([true]);
  });
});

