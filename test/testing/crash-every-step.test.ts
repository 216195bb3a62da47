import { describe, expect, it } from "vitest";
import type { Context } from "../../src/index.js";
import { crashEveryStep, type TestReprise } from "../../src/testing/index.js";

type Result = { type: "created" | "exists_same" | "exists_diff" };

/** Two stores with idempotent creates: the same id and value again is "exists_same". */
class Stores {
  reference = new Map<string, string>();
  record = new Map<string, number>();
  /** The non-idempotent variant appends instead: a retried write is a second account. */
  appended: string[] = [];

  createReference(uuid: string, guid: string): Result {
    const existing = this.reference.get(uuid);
    if (existing === undefined) {
      this.reference.set(uuid, guid);
      return { type: "created" };
    }
    return { type: existing === guid ? "exists_same" : "exists_diff" };
  }

  createRecord(guid: string): Result {
    if (this.record.has(guid)) return { type: "exists_same" };
    this.record.set(guid, 0);
    return { type: "created" };
  }

  appendRecord(guid: string): Result {
    this.appended.push(guid);
    return { type: "created" };
  }
}

const stores = new Stores();
let nextGuid = 0;

function generateGuid(): string {
  return `guid-${++nextGuid}`;
}
function sqCreateAccount(ctx: Context, uuid: string, guid: string): Result {
  return ctx.getDependency<Stores>("stores").createReference(uuid, guid);
}
function tbCreateAccount(ctx: Context, guid: string): Result {
  return ctx.getDependency<Stores>("stores").createRecord(guid);
}
function tbAppendAccount(ctx: Context, guid: string): Result {
  return ctx.getDependency<Stores>("stores").appendRecord(guid);
}

function* createAccount(ctx: Context, uuid: string): Generator<unknown, { uuid: string; guid: string }, unknown> {
  const guid = yield* ctx.run(generateGuid);
  const sq = yield* ctx.run(sqCreateAccount, uuid, guid);
  yield* ctx.panic(sq.type === "exists_diff");
  const tb = yield* ctx.run(tbCreateAccount, guid);
  yield* ctx.panic(tb.type === "exists_diff");
  yield* ctx.panic(sq.type === "created" && tb.type === "exists_same", "ordering violated");
  return { uuid, guid };
}

function* createAccountAppending(ctx: Context, uuid: string): Generator<unknown, { uuid: string; guid: string }, unknown> {
  const guid = yield* ctx.run(generateGuid);
  yield* ctx.run(sqCreateAccount, uuid, guid);
  yield* ctx.run(tbAppendAccount, guid);
  return { uuid, guid };
}

const options = {
  setup: (reprise: { setDependency(name: string, value: unknown): void }) => reprise.setDependency("stores", stores),
  reset: () => {
    stores.reference.clear();
    stores.record.clear();
    stores.appended = [];
    nextGuid = 0;
  },
  observe: () => ({ reference: stores.reference.size, record: stores.record.size, appended: stores.appended.length }),
};

describe("crashEveryStep", () => {
  it("finds no problem in Write Last, Read First with idempotent stores; lists the ordering panic a crash can cause", async () => {
    const report = await crashEveryStep(createAccount, ["u-1"], options);
    expect(report.steps.map((step) => step.func)).toEqual(["generateGuid", "sqCreateAccount", "tbCreateAccount"]);
    expect(report.runs).toBe(6);
    expect(report.problems).toEqual([]);
    expect(report.halts).toEqual([{ step: report.steps[2], crash: "before-record", message: expect.stringContaining("ordering violated") }]);
    // Run again before their results were recorded, these steps answered differently: a fresh
    // guid, and the idempotent writes' "exists_same".
    expect(report.reruns.map((rerun) => [rerun.step.func, rerun.first, rerun.second])).toEqual([
      ["generateGuid", "guid-1", "guid-2"],
      ["sqCreateAccount", { type: "created" }, { type: "exists_same" }],
      ["tbCreateAccount", { type: "created" }, { type: "exists_same" }],
    ]);
  });

  it("names the step whose retry did its effect twice", async () => {
    const report = await crashEveryStep(createAccountAppending, ["u-1"], options);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: "non-idempotent", step: { id: "crash-every-step.3", func: "tbAppendAccount" }, crash: "before-record" }),
    ]);
  });

  it("reports a run that ends with another result though every step recorded the same", async () => {
    let bodyRuns = 0;
    function one(): number {
      return 1;
    }
    function* counting(ctx: Context): Generator<unknown, number, unknown> {
      bodyRuns++;
      const a = yield* ctx.run(one);
      // State outside the context leaks into the result: a replay sees another count.
      return a + bodyRuns;
    }
    const report = await crashEveryStep(counting, [], { reset: () => void (bodyRuns = 0) });
    expect(report.problems.map((problem) => [problem.kind, problem.crash, problem.step.func])).toEqual([
      ["different-result", "before-record", "one"],
      ["different-result", "after-record", "one"],
    ]);
  });

  it("reports a workflow that diverges at a resumption even without a crash", async () => {
    let bodyRuns = 0;
    function a(): string {
      return "a";
    }
    function b(): string {
      return "b";
    }
    function* resumed(ctx: Context): Generator<unknown, string, unknown> {
      bodyRuns++;
      const first = yield* ctx.run(bodyRuns === 1 ? a : b);
      yield* ctx.sleep(1_000);
      return first;
    }
    const report = await crashEveryStep(resumed, [], { reset: () => void (bodyRuns = 0) });
    expect(report.problems[0]).toMatchObject({ kind: "divergence", crash: "none", step: { id: "crash-every-step.1", func: "a" } });
  });

  it("reports a replay that makes another call than the history", async () => {
    let bodyRuns = 0;
    function a(): string {
      return "a";
    }
    function b(): string {
      return "b";
    }
    function* drifting(ctx: Context): Generator<unknown, string, unknown> {
      bodyRuns++;
      const first = yield* ctx.run(a);
      // A body that behaves differently on a replay: the classic bug.
      return first + (yield* ctx.run(bodyRuns % 2 === 1 ? a : b));
    }
    const report = await crashEveryStep(drifting, []);
    expect(report.problems.some((problem) => problem.kind === "divergence")).toBe(true);
  });

  describe("a workflow that waits on a promise the outside world settles (option drive)", () => {
    const charges: string[] = [];
    let reserved = new Set<string>();
    function reserve(_ctx: Context, item: string): string {
      reserved.add(item);
      return `reserved ${item}`;
    }
    /** Appends: run again after a crash before its result was recorded, it charges twice. */
    function charge(_ctx: Context, item: string): string {
      charges.push(item);
      return `charged ${item}`;
    }
    function* order(ctx: Context, item: string): Generator<unknown, string, unknown> {
      yield* ctx.run(reserve, item);
      const approval = yield* ctx.promise<boolean>({ id: `approve-${item}` });
      if (!(yield* approval)) return "refused";
      return yield* ctx.run(charge, item);
    }
    const approve = async (test: TestReprise): Promise<void> => {
      await test.waitForPromise("approve-book");
      await test.resolve("approve-book", true);
    };
    const world = {
      reset: () => {
        reserved = new Set();
        charges.length = 0;
      },
      observe: () => ({ reserved: [...reserved], charges: [...charges] }),
    };

    it("drives every run, the crashed ones too, across the crash", async () => {
      const approvals: number[] = [];
      const report = await crashEveryStep(order, ["book"], {
        ...world,
        observe: () => ({ reserved: [...reserved] }),
        drive: async (test) => {
          await approve(test);
          approvals.push(1);
        },
      });
      expect(report.steps.map((step) => step.func)).toEqual(["reserve", "charge"]);
      expect(report.problems).toEqual([]);
      // The clean run and four crashed ones, each approved once.
      expect(approvals).toHaveLength(5);
    });

    it("names the step that charged twice", async () => {
      const report = await crashEveryStep(order, ["book"], { ...world, drive: approve });
      expect(report.problems).toEqual([
        expect.objectContaining({ kind: "non-idempotent", crash: "before-record", step: expect.objectContaining({ func: "charge" }) }),
      ]);
    });

    it("without a drive nobody approves: the promise times out in virtual time and the steps after it go untested", async () => {
      const report = await crashEveryStep(order, ["book"], world);
      expect(report.steps.map((step) => step.func)).toEqual(["reserve"]);
    });
  });
});
