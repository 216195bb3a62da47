/**
 * The account-creation workflow under crashEveryStep (reprise/testing): a crash before and after
 * every step's checkpoint, each run compared with a clean one. With the idempotent stores there is
 * no problem; the seed's ordering panic is listed as a halt a crash can cause (the same case the
 * kill -9 suite covers). With a ledger whose write is not idempotent, the report names the step.
 */
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crashEveryStep } from "../../src/testing/index.js";
import { readRows } from "../../test/examples-helpers/sqlite-rows.js";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import { createAccount } from "./create-account.js";
import type { Ledger, LedgerAccount, LedgerResult } from "./ledger.js";
import { SqliteLedger } from "./sqlite-ledger.js";
import { SystemOfReference } from "./system-of-reference.js";

/** A ledger that appends every write: a retried write is a second account. */
class AppendingLedger implements Ledger {
  constructor(private readonly db: Database.Database) {
    db.exec("CREATE TABLE IF NOT EXISTS appended (id TEXT NOT NULL)");
  }

  async createAccount(account: LedgerAccount): Promise<LedgerResult> {
    this.db.prepare("INSERT INTO appended (id) VALUES (?)").run(account.id.toString());
    return "created";
  }

  async lookupAccount(): Promise<LedgerAccount | undefined> {
    return undefined;
  }

  async close(): Promise<void> {}
}

let dir: TempDir;
let round = 0;
let sqClient: SystemOfReference;
let ledger: Ledger;
let files: { reference: string; ledger: string };

/** Fresh stores for each run: the world as it was before. */
async function reset(appending: boolean): Promise<void> {
  await sqClient?.close();
  await ledger?.close();
  round++;
  files = { reference: dir.file(`reference-${round}.db`), ledger: dir.file(`ledger-${round}.db`) };
  sqClient = SystemOfReference.open(files.reference);
  ledger = appending ? new AppendingLedger(new Database(files.ledger)) : SqliteLedger.open(files.ledger);
}

function count(file: string, table: string): number {
  return readRows<{ n: number }>(file, `SELECT count(*) AS n FROM ${table}`)[0]!.n;
}

function options(appending: boolean) {
  return {
    setup: (reprise: { setDependency(name: string, value: unknown): void }) => {
      reprise.setDependency("sqClient", sqClient);
      reprise.setDependency("tbClient", ledger);
    },
    reset: () => reset(appending),
    observe: () => ({ references: count(files.reference, "accounts"), ledger: count(files.ledger, appending ? "appended" : "ledger_accounts") }),
  };
}

beforeAll(() => {
  dir = new TempDir("reprise-crash-every-step-");
});

afterAll(async () => {
  await sqClient?.close();
  await ledger?.close();
  dir.remove();
});

describe("account creation under crashEveryStep", () => {
  it("has no problem with idempotent stores; the ordering panic is the one halt a crash can cause", async () => {
    const report = await crashEveryStep(createAccount, ["3f1c0a2e-uuid"], options(false));
    expect(report.steps.map((step) => step.func)).toEqual(["generateGuid", "sqCreateAccount", "tbCreateAccount"]);
    expect(report.problems).toEqual([]);
    expect(report.halts).toEqual([
      { step: report.steps[2], crash: "before-record", message: expect.stringContaining("ordering violated") },
    ]);
  });

  it("names tbCreateAccount when the ledger write is not idempotent", async () => {
    const report = await crashEveryStep(createAccount, ["3f1c0a2e-uuid"], options(true));
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: "non-idempotent", crash: "before-record", step: expect.objectContaining({ func: "tbCreateAccount" }) }),
    ]);
  });
});
