/**
 * Every failure mode of seed 004, with real processes: the workflow runs in a child process, is
 * SIGKILLed at a chosen point, and a new process on the same files finishes (or panics) the same
 * execution. `CALL <client>.<method>` lines show which writes really ran in each process.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExampleProcess, killAll } from "../../test/examples-helpers/example-process.js";
import { dropSchema, freshSchema, PG_URL, postgresReachable } from "../../test/examples-helpers/postgres.js";
import { SeededRandom } from "../../test/examples-helpers/seeded-random.js";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import type { LedgerAccount } from "./ledger.js";
import { PostgresLedger } from "./postgres-ledger.js";
import { ACCOUNT_KIND } from "./steps.js";
import { SystemOfReference } from "./system-of-reference.js";

const MAIN = "examples/account-creation/main.ts";
const pgUp = await postgresReachable();

describe.skipIf(!pgUp)("account creation survives kill -9 (Write Last, Read First)", () => {
  let dir: TempDir;
  let schema: string;
  let uuid: string;

  beforeEach(() => {
    dir = new TempDir();
    schema = freshSchema();
    uuid = randomUUID();
  });

  afterEach(async () => {
    await killAll();
    await dropSchema(schema);
    dir.remove();
  });

  function start(crashAt?: string): ExampleProcess {
    const env: Record<string, string> = {
      REPRISE_STORE: dir.file("reprise.db"),
      ACCOUNTS_DB: dir.file("accounts.db"),
      PG_URL,
      PG_SCHEMA: schema,
    };
    if (crashAt) env.CRASH_AT = crashAt;
    return ExampleProcess.start(MAIN, { args: [uuid], env });
  }

  /** Runs until the crash point, then kill -9. */
  async function crashAt(point: string): Promise<ExampleProcess> {
    const child = start(point);
    await child.waitFor(`HANG ${point}`);
    await child.kill();
    return child;
  }

  async function finish(): Promise<{ child: ExampleProcess; result: { uuid: string; guid: string } }> {
    const child = start();
    const line = await child.waitFor(/^(RESULT|FAILED) /);
    expect(line.text, child.transcript()).toMatch(/^RESULT /);
    await child.waitForExit();
    return { child, result: JSON.parse(line.text.slice("RESULT ".length)) };
  }

  async function failure(): Promise<{ child: ExampleProcess; error: { type: string; code: string; message: string } }> {
    const child = start();
    const line = await child.waitFor(/^(RESULT|FAILED) /);
    expect(line.text, child.transcript()).toMatch(/^FAILED /);
    expect((await child.waitForExit()).code).toBe(1);
    return { child, error: JSON.parse(line.text.slice("FAILED ".length)) };
  }

  /** The guid the crashed process passed to the System of Reference (its recorded first step). */
  function guidSeenBy(child: ExampleProcess): string {
    const call = child.linesStarting("CALL sor.createAccount ")[0];
    if (!call) throw new Error(`no System of Reference call\n${child.transcript()}`);
    return (JSON.parse(call.slice("CALL sor.createAccount ".length)) as [string, string])[1];
  }

  async function stores(): Promise<{ reference: string | undefined; record: (guid: string) => Promise<boolean> }> {
    const sor = SystemOfReference.open(dir.file("accounts.db"));
    const reference = (await sor.findAccount(uuid))?.guid;
    await sor.close();
    return {
      reference,
      record: async (guid) => {
        const ledger = await PostgresLedger.connect({ url: PG_URL, schema });
        try {
          return (await ledger.lookupAccount(BigInt(guid))) !== undefined;
        } finally {
          await ledger.close();
        }
      },
    };
  }

  async function ledgerWrite(guid: string, fields: Partial<Omit<LedgerAccount, "id">> = {}): Promise<void> {
    const ledger = await PostgresLedger.connect({ url: PG_URL, schema });
    try {
      expect(await ledger.createAccount({ id: BigInt(guid), ...ACCOUNT_KIND, ...fields })).toBe("created");
    } finally {
      await ledger.close();
    }
  }

  it("crash after the SQLite write: the restart skips both recorded steps and writes the ledger", async () => {
    const crashed = await crashAt("before:ledger.createAccount");
    const guid = guidSeenBy(crashed);
    const before = await stores();
    expect(before.reference).toBe(guid);
    expect(await before.record(guid)).toBe(false);

    const { child, result } = await finish();
    expect(result).toEqual({ uuid, guid });
    expect(child.linesStarting("CALL sor.")).toEqual([]);
    expect(child.linesStarting("CALL ledger.createAccount")).toHaveLength(1);
    expect(await (await stores()).record(guid)).toBe(true);
  });

  it("crash after the ledger write is recorded: the restart runs no write at all", async () => {
    const crashed = await crashAt(`recorded:create-account-${uuid}.3`);
    const guid = guidSeenBy(crashed);
    expect(await (await stores()).record(guid)).toBe(true);

    const { child, result } = await finish();
    expect(result).toEqual({ uuid, guid });
    expect(child.linesStarting("CALL ")).toEqual([]);
  });

  it("the same uuid retried with the durable state intact returns the stored result; no step runs", async () => {
    const first = await finish();
    const second = await finish();
    expect(second.result).toEqual(first.result);
    expect(second.child.linesStarting("CALL ")).toEqual([]);
  });

  it("the same uuid after the promise store was wiped panics on exists_diff (type Panic, code 98)", async () => {
    const { result } = await finish();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(dir.file(`reprise.db${suffix}`), { force: true });

    const { child, error } = await failure();
    expect(error).toMatchObject({ type: "Panic", code: "98" });
    expect(error.message).toContain("System of Reference has this uuid with another guid");
    expect(child.linesStarting("DONE sor.createAccount")).toEqual(['DONE sor.createAccount "exists_diff"']);
    expect(child.linesStarting("CALL ledger.")).toEqual([]);
    expect((await stores()).reference).toBe(result.guid);
  });

  it("a row in SQLite but missing in the ledger (crash inside the SQLite step): exists_same, then the ledger write completes", async () => {
    const crashed = await crashAt("after:sor.createAccount");
    const guid = guidSeenBy(crashed);
    expect(await (await stores()).record(guid)).toBe(false);

    const { child, result } = await finish();
    expect(result).toEqual({ uuid, guid });
    expect(child.linesStarting("DONE ")).toEqual(['DONE sor.createAccount "exists_same"', 'DONE ledger.createAccount "created"']);
  });

  it("the ledger has the account with different fields: panic", async () => {
    const guid = guidSeenBy(await crashAt("before:ledger.createAccount"));
    await ledgerWrite(guid, { code: 999 });

    const { child, error } = await failure();
    expect(error).toMatchObject({ type: "Panic", code: "98" });
    expect(error.message).toContain("System of Record has this id with other fields");
    expect(child.linesStarting("DONE ledger.createAccount")).toEqual(['DONE ledger.createAccount "exists_diff"']);
  });

  it("ordering violated (the ledger has the account, SQLite does not): panic", async () => {
    const guid = guidSeenBy(await crashAt("before:sor.createAccount"));
    expect((await stores()).reference).toBeUndefined();
    await ledgerWrite(guid);

    const { child, error } = await failure();
    expect(error).toMatchObject({ type: "Panic", code: "98" });
    expect(error.message).toContain("ordering violated");
    expect(child.linesStarting("DONE ")).toEqual(['DONE sor.createAccount "created"', 'DONE ledger.createAccount "exists_same"']);
  });

  // The seed's ordering check cannot tell "another writer created it first" from "our own attempt
  // wrote it and died before its result was recorded": the retried step sees exists_same. Both
  // stores are consistent; the panic asks an operator to confirm.
  it("crash between the ledger write and its checkpoint: the retry sees exists_same and the ordering panic fires", async () => {
    const guid = guidSeenBy(await crashAt("after:ledger.createAccount"));

    const { child, error } = await failure();
    expect(error).toMatchObject({ type: "Panic", code: "98" });
    expect(error.message).toContain("ordering violated");
    expect(child.linesStarting("CALL sor.")).toEqual([]);
    const after = await stores();
    expect(after.reference).toBe(guid);
    expect(await after.record(guid)).toBe(true);
  });

  it.each([11, 22, 33])("seeded crash point (seed %i): the restart finishes with one consistent account", async (seed) => {
    const random = new SeededRandom(seed);
    const point = random.pick([
      "before:sor.createAccount",
      "after:sor.createAccount",
      "before:ledger.createAccount",
      `recorded:create-account-${uuid}.2`,
      `recorded:create-account-${uuid}.3`,
    ]);
    const crashed = await crashAt(point);
    const { result } = await finish();
    if (crashed.linesStarting("CALL sor.").length) expect(result.guid, point).toBe(guidSeenBy(crashed));
    const after = await stores();
    expect(after.reference, point).toBe(result.guid);
    expect(await after.record(result.guid), point).toBe(true);
  });
});
