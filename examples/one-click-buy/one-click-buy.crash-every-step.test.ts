/**
 * The durable one-click buy under crashEveryStep (reprise/testing): a crash before and after every
 * step's checkpoint, each run compared with a clean one, on the real purchase log (a SQLite file
 * per run). Both outcomes: the window closes (the virtual clock skips the 5 s), and a cancel comes
 * inside it (`drive` sends it in every run, the way the shop's cancel endpoint does). With a
 * purchase log whose writes are not keyed, the report names the step that wrote twice.
 */
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { crashEveryStep, type CrashEveryStepOptions, type TestReprise } from "../../src/testing/index.js";
import { readRows } from "../../test/examples-helpers/sqlite-rows.js";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import { cancelId, oneClickBuy, type CancelRequest } from "./one-click-buy.js";
import { buyId } from "./purchase-steps.js";
import { Purchases, type PurchaseEvent } from "./purchases.js";

const WINDOW_MS = 5_000;
/** The steps stamp entries with the wall clock: frozen, so every run records the same values and results compare. */
const NOW = Date.UTC(2030, 0, 1);

/** The planted fault: a purchase log that appends, so a step run again after a crash writes a second entry. */
class AppendingPurchases extends Purchases {
  constructor(db: Database.Database) {
    super(db);
    db.exec("CREATE TABLE IF NOT EXISTS appended (order_id TEXT NOT NULL, event TEXT NOT NULL)");
  }
  protected override append(orderId: string, event: PurchaseEvent): number {
    this.db.prepare("INSERT INTO appended (order_id, event) VALUES (?, ?)").run(orderId, event);
    return Date.now();
  }
}

let dir: TempDir;
let round = 0;
let file = "";
let purchases: Purchases | undefined;

/** A fresh purchase log for each run: the world as it was before. */
async function reset(appending: boolean): Promise<void> {
  await purchases?.close();
  file = dir.file(`purchases-${++round}.db`);
  purchases = appending ? new AppendingPurchases(new Database(file)) : Purchases.open(file);
}

/** Every entry the run left, read from the file itself. */
function entries(table: "purchase_log" | "appended"): Array<{ order_id: string; event: string }> {
  return readRows(file, `SELECT order_id, event FROM ${table} ORDER BY rowid`);
}

function options(appending = false): CrashEveryStepOptions {
  return {
    name: "oneClickBuy",
    id: buyId("o-1"),
    setup: (reprise) => reprise.setDependency("purchases", purchases),
    reset: () => reset(appending),
    observe: () => entries(appending ? "appended" : "purchase_log"),
  };
}

/** What the shop's cancel endpoint does: settle the order's cancel promise, once the workflow waits on it. */
async function cancelInsideTheWindow(test: TestReprise): Promise<void> {
  await test.waitForPromise(cancelId("o-1"));
  const request: CancelRequest = { at: Date.now() };
  await test.resolve(cancelId("o-1"), request);
}

beforeAll(() => {
  dir = new TempDir("reprise-one-click-buy-");
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
});

afterAll(async () => {
  vi.useRealTimers();
  await purchases?.close();
  dir.remove();
});

describe("one-click buy under crashEveryStep", () => {
  it("no cancel: confirmed when the window closes, whatever step the process dies at", async () => {
    const report = await crashEveryStep(oneClickBuy, ["o-1", WINDOW_MS], options());
    expect(report.steps.map((step) => step.func)).toEqual(["startPurchase", "confirmPurchase"]);
    expect(report.runs).toBe(4);
    expect(report.problems).toEqual([]);
    expect(report.halts).toEqual([]);
    // Every re-run step answered as in the clean run (keyed writes, a frozen clock), so every
    // run's result was compared with the clean one.
    expect(report.reruns).toEqual([]);
  });

  it("a cancel inside the window: cancelled, whatever step the process dies at", async () => {
    const report = await crashEveryStep(oneClickBuy, ["o-1", WINDOW_MS], { ...options(), drive: cancelInsideTheWindow });
    expect(report.steps.map((step) => step.func)).toEqual(["startPurchase", "cancelPurchase"]);
    expect(report.problems).toEqual([]);
    expect(report.halts).toEqual([]);
    // Every re-run step answered as in the clean run (keyed writes, a frozen clock), so every
    // run's result was compared with the clean one.
    expect(report.reruns).toEqual([]);
    expect(entries("purchase_log")).toEqual([
      { order_id: "o-1", event: "started" },
      { order_id: "o-1", event: "cancelled" },
    ]);
  });

  it("names each step that wrote twice when the purchase log is not keyed", async () => {
    const report = await crashEveryStep(oneClickBuy, ["o-1", WINDOW_MS], { ...options(true), drive: cancelInsideTheWindow });
    expect(report.problems.map((problem) => [problem.kind, problem.step.func, problem.crash])).toEqual([
      ["non-idempotent", "startPurchase", "before-record"],
      ["non-idempotent", "cancelPurchase", "before-record"],
    ]);
  });
});
