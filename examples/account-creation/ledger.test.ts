/**
 * The System of Record's contract: TigerBeetle's create_accounts results and how they map to the
 * workflow's created / exists_same / exists_diff. The TigerBeetle adapter runs against a stubbed
 * client (no TigerBeetle server here); the PostgreSQL and SQLite ledgers run for real.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateAccountStatus, type Account, type CreateAccountResult } from "tigerbeetle-node";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import { dropSchema, freshSchema, PG_URL, postgresReachable } from "../../test/examples-helpers/postgres.js";
import { LedgerError, toLedgerResult, U128_MAX, type Ledger, type LedgerAccount } from "./ledger.js";
import { PostgresLedger } from "./postgres-ledger.js";
import { SqliteLedger } from "./sqlite-ledger.js";
import { TigerBeetleLedger, type AccountsClient } from "./tigerbeetle-ledger.js";

const account: LedgerAccount = { id: 2n ** 100n + 7n, ledger: 1, code: 718, flags: 0 };

describe("toLedgerResult", () => {
  it("maps success, exists and every exists_with_different_* to the three outcomes", () => {
    expect(toLedgerResult("ok")).toBe("created");
    expect(toLedgerResult("created")).toBe("created");
    expect(toLedgerResult("exists")).toBe("exists_same");
    for (const field of ["flags", "ledger", "code", "user_data_128", "user_data_64", "user_data_32"]) {
      expect(toLedgerResult(`exists_with_different_${field}`)).toBe("exists_diff");
    }
  });

  it("throws on anything else, naming the result", () => {
    expect(() => toLedgerResult("id_must_not_be_zero")).toThrow(new LedgerError("id_must_not_be_zero"));
    expect(() => toLedgerResult("linked_event_failed")).toThrow("create_accounts failed: linked_event_failed");
  });
});

describe("TigerBeetleLedger (stubbed client)", () => {
  function stub(status: CreateAccountStatus): { client: AccountsClient; sent: Account[][] } {
    const sent: Account[][] = [];
    const client: AccountsClient = {
      createAccounts: async (batch: Account[]): Promise<CreateAccountResult[]> => {
        sent.push(batch);
        return batch.map(() => ({ timestamp: 1n, status }));
      },
      lookupAccounts: async () => [],
      destroy: () => {},
    };
    return { client, sent };
  }

  const expected: Array<[keyof typeof CreateAccountStatus, string]> = [
    ["created", "created"],
    ["exists", "exists_same"],
    ["exists_with_different_flags", "exists_diff"],
    ["exists_with_different_ledger", "exists_diff"],
    ["exists_with_different_code", "exists_diff"],
    ["exists_with_different_user_data_128", "exists_diff"],
    ["exists_with_different_user_data_64", "exists_diff"],
    ["exists_with_different_user_data_32", "exists_diff"],
  ];

  it.each(expected)("maps %s to %s", async (status, outcome) => {
    const { client } = stub(CreateAccountStatus[status]);
    expect(await new TigerBeetleLedger(client).createAccount(account)).toBe(outcome);
  });

  it("throws on every other status of create_accounts", async () => {
    const others = Object.keys(CreateAccountStatus)
      .filter((name) => Number.isNaN(Number(name)))
      .filter((name) => !expected.some(([mapped]) => mapped === name)) as Array<keyof typeof CreateAccountStatus>;
    expect(others.length).toBeGreaterThan(10);
    for (const name of others) {
      const { client } = stub(CreateAccountStatus[name]);
      await expect(new TigerBeetleLedger(client).createAccount(account)).rejects.toThrow(`create_accounts failed: ${name}`);
    }
  });

  it("sends one zero-balance account with the given id, ledger, code and flags", async () => {
    const { client, sent } = stub(CreateAccountStatus.created);
    await new TigerBeetleLedger(client).createAccount({ ...account, flags: 8 });
    expect(sent).toEqual([
      [expect.objectContaining({ id: account.id, ledger: 1, code: 718, flags: 8, debits_posted: 0n, credits_posted: 0n, timestamp: 0n })],
    ]);
  });
});

/** The same contract, for every ledger that is not TigerBeetle itself. */
function contract(open: () => Promise<Ledger>, close: () => Promise<void> = async () => {}): void {
  let ledger: Ledger;
  beforeAll(async () => {
    ledger = await open();
  });
  afterAll(async () => {
    await ledger?.close();
    await close();
  });

  it("creates an account once, then answers exists for the same fields", async () => {
    const fresh = { ...account, id: account.id + 1n };
    expect(await ledger.createAccount(fresh)).toBe("created");
    expect(await ledger.createAccount(fresh)).toBe("exists_same");
    expect(await ledger.lookupAccount(fresh.id)).toEqual(fresh);
  });

  it("answers exists_with_different_flags / _ledger / _code (all exists_diff) and keeps the first", async () => {
    const first = { ...account, id: account.id + 2n };
    await ledger.createAccount(first);
    expect(await ledger.createAccount({ ...first, flags: 2 })).toBe("exists_diff");
    expect(await ledger.createAccount({ ...first, ledger: 2 })).toBe("exists_diff");
    expect(await ledger.createAccount({ ...first, code: 1 })).toBe("exists_diff");
    expect(await ledger.lookupAccount(first.id)).toEqual(first);
  });

  it("stores the full u128 range and refuses the ids TigerBeetle refuses", async () => {
    const largest = { ...account, id: U128_MAX - 1n };
    expect(await ledger.createAccount(largest)).toBe("created");
    expect((await ledger.lookupAccount(largest.id))?.id).toBe(U128_MAX - 1n);
    await expect(ledger.createAccount({ ...account, id: 0n })).rejects.toThrow("id_must_not_be_zero");
    await expect(ledger.createAccount({ ...account, id: U128_MAX })).rejects.toThrow("id_must_not_be_int_max");
    await expect(ledger.createAccount({ ...account, id: 5n, code: 0 })).rejects.toThrow("code_must_not_be_zero");
  });

  it("has no account it never created", async () => {
    expect(await ledger.lookupAccount(123n)).toBeUndefined();
  });
}

const pgUp = await postgresReachable();

describe.skipIf(!pgUp)("PostgresLedger", () => {
  const schema = freshSchema();
  contract(
    () => PostgresLedger.connect({ url: PG_URL, schema }),
    () => dropSchema(schema),
  );

  it("returns TigerBeetle's result names from createAccounts, one per account in order", async () => {
    const ledger = await PostgresLedger.connect({ url: PG_URL, schema });
    try {
      const id = account.id + 10n;
      expect(
        await ledger.createAccounts([
          { ...account, id },
          { ...account, id },
          { ...account, id, flags: 1 },
          { ...account, id, ledger: 9 },
          { ...account, id, code: 9 },
          { ...account, id: 0n },
        ]),
      ).toEqual(["ok", "exists", "exists_with_different_flags", "exists_with_different_ledger", "exists_with_different_code", "id_must_not_be_zero"]);
    } finally {
      await ledger.close();
    }
  });
});

describe("SqliteLedger (the demo's stand-in)", () => {
  const dir = new TempDir();
  contract(
    async () => SqliteLedger.open(dir.file("ledger.db")),
    async () => dir.remove(),
  );
});
