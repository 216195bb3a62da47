/**
 * Write Last, Read First (seed 004): create an account in the System of Reference (SQLite), then
 * in the System of Record (the ledger). Each step is a durable checkpoint, so a crash between the
 * writes resumes at the next write; `ctx.panic` stops on the states an operator must look at.
 */
import { id as generateId } from "tigerbeetle-node";
import type { Context } from "../../src/index.js";
import { sqCreateAccount, tbCreateAccount } from "./steps.js";

/** The execution id: retries of the same uuid share one durable execution. */
export function createAccountId(uuid: string): string {
  return `create-account-${uuid}`;
}

export function* createAccount(context: Context, uuid: string): Generator<unknown, { uuid: string; guid: string }, unknown> {
  // Generate a random account id
  const guid = yield* context.run(function generateGuid() {
    return generateId().toString();
  });

  // Create account in SQLite
  const sqResult = yield* context.run(sqCreateAccount, uuid, guid);

  // Panic and alert the operator if the account exists
  // but with different values
  yield* context.panic(sqResult.type === "exists_diff", "the System of Reference has this uuid with another guid");

  // Create account in TigerBeetle
  const tbResult = yield* context.run(tbCreateAccount, guid);

  // Panic and alert the operator if the account exists
  // but with different values
  yield* context.panic(tbResult.type === "exists_diff", "the System of Record has this id with other fields");

  // Panic and alert the operator if ordering was violated
  yield* context.panic(
    sqResult.type === "created" && tbResult.type === "exists_same",
    "ordering violated: the System of Record had the account before the System of Reference",
  );

  return { uuid, guid };
}
