/**
 * An embedded step whose result is over the store's value limit fails the run with an error that
 * names the step (its id and function), the limit, and the option that raises it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Reprise, type Context } from "../../src/index.js";

const instances: Reprise[] = [];
afterEach(async () => {
  await Promise.all(instances.splice(0).map((r) => r.stop()));
});

function hugeReport(_ctx: Context, bytes: number): string {
  return "x".repeat(bytes);
}

// Returns the report itself, not through a step: the execution's own result is over the limit.
function* wholeReport(_ctx: Context, bytes: number): Generator<unknown, string, unknown> {
  return "x".repeat(bytes);
}

function* monthlyReport(ctx: Context, bytes: number): Generator<unknown, number, unknown> {
  const report = yield* ctx.run(hugeReport, bytes);
  return report.length;
}

/** Runs wholeReport under `maxValueBytes` and returns what the run rejected with. */
async function wholeReportFailure(maxValueBytes: number, id: string, bytes: number): Promise<unknown> {
  const reprise = new Reprise({ store: ":memory:", logLevel: "silent", limits: { maxValueBytes } });
  instances.push(reprise);
  reprise.register("wholeReport", wholeReport);
  return reprise.run(id, "wholeReport", bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("a step result over the value limit (embedded)", () => {
  it("fails with an error naming the step, its function, the limit and the option", async () => {
    const reprise = new Reprise({ store: ":memory:", logLevel: "silent" });
    instances.push(reprise);
    reprise.register("monthlyReport", monthlyReport);
    const error = await reprise.run("report-2026-11", "monthlyReport", 5 * 1024 * 1024).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const { name, message } = error as Error;
    // The run's rejection is durable, so the caller gets it back as recorded: by name, not class.
    expect(name).toBe("StoreError");
    expect(message).toContain('recording the result of step "report-2026-11.1" (function hugeReport) was refused');
    expect(message).toContain("expected at most 3145728 bytes");
    expect(message).toContain("new Reprise({ limits: { maxValueBytes } })");
    // The run is over, rejected, not left spinning.
    expect(await reprise.promises.get("report-2026-11")).toMatchObject({ state: "rejected" });
  });

  it("fails a run whose own result is over the limit, instead of running it again for ever", async () => {
    const error = await wholeReportFailure(1000, "report-2027-01", 5000);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("StoreError");
    expect((error as Error).message).toContain('recording the result of execution "report-2027-01" was refused');
    expect((error as Error).message).toContain("expected at most 1000 bytes");
    expect(await instances.at(-1)!.promises.get("report-2027-01")).toMatchObject({ state: "rejected" });
  });

  it("fails it, without a value, under a limit even its refusal is over", async () => {
    expect(await wholeReportFailure(80, "report-2027-02", 100)).toBeInstanceOf(Error);
    expect(await instances.at(-1)!.promises.get("report-2027-02")).toMatchObject({ state: "rejected" });
  });

  it("records the same step once the limit is raised", async () => {
    const reprise = new Reprise({ store: ":memory:", logLevel: "silent", limits: { maxValueBytes: 8 * 1024 * 1024 } });
    instances.push(reprise);
    reprise.register("monthlyReport", monthlyReport);
    expect(await reprise.run("report-2026-12", "monthlyReport", 5 * 1024 * 1024)).toBe(5 * 1024 * 1024);
  });
});
