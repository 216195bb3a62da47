import { afterEach, describe, expect, it } from "vitest";
import type { Context } from "../../src/index.js";
import { TestReprise } from "../../src/testing/index.js";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
let test: TestReprise | undefined;

afterEach(async () => {
  await test?.stop();
  test = undefined;
});

function greet(_ctx: Context, name: string): string {
  return `hello ${name}`;
}

describe("TestReprise", () => {
  it("runs a workflow that sleeps for three days in virtual time", async () => {
    function* reminder(ctx: Context, name: string): Generator<unknown, { text: string; waitedDays: number }, unknown> {
      const start = yield* ctx.date.now();
      yield* ctx.sleep(3 * DAY);
      const text = yield* ctx.run(greet, name);
      return { text, waitedDays: ((yield* ctx.date.now()) - start) / DAY };
    }
    test = new TestReprise({ setup: (reprise) => void reprise.register("reminder", reminder) });
    const started = test.clock.now();
    await test.ready();
    const week = test.reprise.options({ timeout: 7 * DAY });
    expect(await test.run("r-1", "reminder", "ada", week)).toEqual({ text: "hello ada", waitedDays: 3 });
    expect(test.clock.now() - started).toBe(3 * DAY);
  });

  it("lets the test settle an external promise, and times one out when nobody does", async () => {
    function* approval(ctx: Context, who: string): Generator<unknown, string, unknown> {
      const answer = yield* ctx.promise<boolean>({ id: `approve-${who}`, timeout: HOUR });
      try {
        return (yield* answer) ? "approved" : "refused";
      } catch {
        return "timed out";
      }
    }
    test = new TestReprise({ setup: (reprise) => void reprise.register("approval", approval) });
    await test.ready();
    await test.reprise.beginRun("a-1", "approval", "ada");
    await test.advance(60_000);
    await test.resolve("approve-ada", true);
    expect(await test.result("a-1")).toBe("approved");
    expect(await test.run("a-2", "approval", "bob")).toBe("timed out");
  });

  it("recovers an execution after a crash, in another process, without rerunning recorded steps", async () => {
    const ran: string[] = [];
    function record(_ctx: Context, step: string): string {
      ran.push(step);
      return step;
    }
    function* twoSteps(ctx: Context): Generator<unknown, string[], unknown> {
      const first = yield* ctx.run(record, "first");
      yield* ctx.sleep(HOUR);
      return [first, yield* ctx.run(record, "second")];
    }
    test = new TestReprise({ setup: (reprise) => void reprise.register("twoSteps", twoSteps) });
    await test.ready();
    const firstPid = test.reprise.pid;
    await test.reprise.beginRun("t-1", "twoSteps");
    await test.advance(60_000);
    await test.crash();
    expect(test.reprise.pid).not.toBe(firstPid);
    expect(await test.result("t-1")).toEqual(["first", "second"]);
    expect(ran).toEqual(["first", "second"]);
  });

  it("replaces a process an interception killed at the next step of a drive, so the test carries on", async () => {
    const ran: string[] = [];
    function record(_ctx: Context, step: string): string {
      ran.push(step);
      return step;
    }
    function* approved(ctx: Context): Generator<unknown, string, unknown> {
      yield* ctx.run(record, "before");
      const approval = yield* ctx.promise<string>({ id: "approve-t-2" });
      return `${yield* approval} ${yield* ctx.run(record, "after")}`;
    }
    let killed = false;
    test = new TestReprise({
      setup: (reprise) => void reprise.register("approved", approved),
      // Kill the process on its way to record the first step (its effect happened, its result is lost).
      intercept: (req) => {
        if (killed || req.kind !== "task.fence" || req.data.action.kind !== "promise.create" || !req.data.action.data.result) return "deliver";
        killed = true;
        return "crash-before";
      },
    });
    await test.ready();
    const firstPid = test.reprise.pid;
    await test.reprise.beginRun("t-2", "approved");
    await test.waitForPromise("approve-t-2");
    expect(test.reprise.pid).not.toBe(firstPid);
    await test.resolve("approve-t-2", "yes");
    expect(await test.result("t-2")).toBe("yes after");
    // The first run of the step was lost with the process, so it ran again.
    expect(ran).toEqual(["before", "before", "after"]);
  });
});
