/**
 * The seed's generator, character for character, with only the SDK import changed: the seed's
 * program runs on Reprise as written. (The seed imports Context from "@resonatehq/sdk".)
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unused-vars -- the seed's own code, kept verbatim */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { id as generateId } from "tigerbeetle-node";
import { Reprise, type Context } from "../../src/index.js";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import { SqliteLedger } from "./sqlite-ledger.js";
import { sqCreateAccount, tbCreateAccount } from "./steps.js";
import { SystemOfReference } from "./system-of-reference.js";

// ---- from the seed (example-tigerbeetle-account-creation-ts/create-account.ts:150), unchanged ----
function* createAccount(
  context: Context,
  uuid: string,
): Generator<any, { uuid: string; guid: string }, any> {
  // Generate a random account id
  const guid = yield* context.run(function (context: Context) {
    return generateId().toString();
  });
 
  // Create account in SQLite
  const sqResult = yield* context.run(sqCreateAccount, uuid, guid);
 
  // Panic and alert the operator if the account exists
  // but with different values
  yield* context.panic(sqResult.type == "exists_diff");
 
  // Create account in TigerBeetle
  const tbResult = yield* context.run(tbCreateAccount, guid);
 
  // Panic and alert the operator if the account exists
  // but with different values
  yield* context.panic(tbResult.type == "exists_diff");
 
  // Panic and alert the operator if ordering was violated
  yield* context.panic(
    sqResult.type == "created" && tbResult.type == "exists_same",
  );
 
  return { uuid, guid };
}
// ---- end of the seed ----

describe("the seed's createAccount, verbatim", () => {
  let dir: TempDir;
  let resonate: Reprise;
  let sqClient: SystemOfReference;
  let tbClient: SqliteLedger;

  beforeEach(() => {
    dir = new TempDir();
    sqClient = SystemOfReference.open(dir.file("accounts.db"));
    tbClient = SqliteLedger.open(dir.file("ledger.db"));
    resonate = new Reprise({ store: dir.file("reprise.db") });
    resonate.setDependency("tbClient", tbClient);
    resonate.setDependency("sqClient", sqClient);
    resonate.register("createAccount", createAccount);
  });

  afterEach(async () => {
    await resonate.stop();
    await sqClient.close();
    await tbClient.close();
    dir.remove();
  });

  it("creates the account in both stores and returns { uuid, guid }; a rerun returns the same", async () => {
    const uuid = "a7c1e0f2";
    const result = await resonate.run<{ uuid: string; guid: string }>(`create-account-${uuid}`, createAccount, uuid);
    expect(result.uuid).toBe(uuid);
    expect((await sqClient.findAccount(uuid))?.guid).toBe(result.guid);
    expect(await tbClient.lookupAccount(BigInt(result.guid))).toBeDefined();
    expect(await resonate.run(`create-account-${uuid}`, createAccount, uuid)).toEqual(result);
  });

  it("panics (type Panic, code 98) when the uuid is taken by another guid", async () => {
    await sqClient.createAccount("taken", "42");
    const error = await resonate.run("create-account-taken", createAccount, "taken").catch((e: unknown) => e);
    expect(error).toMatchObject({ type: "Panic", code: "98" });
  });
});
