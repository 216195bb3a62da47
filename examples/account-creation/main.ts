/**
 * Creates one account, durably:  tsx examples/account-creation/main.ts [uuid]
 *
 * Run it again with the same uuid after a crash (kill -9) and it finishes the same execution.
 * Environment: REPRISE_STORE (promise store, default ./account-creation.db), ACCOUNTS_DB (System
 * of Reference, default ./accounts.db), and the ledger's (see open-ledger.ts).
 * Prints `RESULT {...}` and exits 0, or `FAILED {...}` (a panic names type "Panic", code "98") and exits 1.
 */
import { randomUUID } from "node:crypto";
import { Reprise } from "../../src/index.js";
import { instrument, say, storeFor, toJson } from "../shared/crash-points.js";
import { createAccount, createAccountId } from "./create-account.js";
import { ledgerUnavailable, openLedger } from "./open-ledger.js";
import { SystemOfReference } from "./system-of-reference.js";

const uuid = process.argv[2] ?? randomUUID();
const sqClient = SystemOfReference.open(process.env.ACCOUNTS_DB ?? "./accounts.db");
const tbClient = await openLedger().catch((error: unknown) => {
  // The default ledger is PostgreSQL; a newcomer without one should learn what to start, not read a pg-pool stack.
  console.error(ledgerUnavailable(error));
  process.exit(1);
});
const reprise = new Reprise({ store: await storeFor(process.env.REPRISE_STORE ?? "./account-creation.db") });

reprise.setDependency("sqClient", instrument("sor", sqClient));
reprise.setDependency("tbClient", instrument("ledger", tbClient));
reprise.register("createAccount", createAccount);

say(`START ${createAccountId(uuid)} pid=${process.pid}`);
try {
  const result = await reprise.run(createAccountId(uuid), createAccount, uuid);
  say(`RESULT ${toJson(result)}`);
} catch (error) {
  const { name, message, type, code } = error as Error & { type?: string; code?: string };
  say(`FAILED ${toJson({ name, type, code, message })}`);
  process.exitCode = 1;
} finally {
  await reprise.stop();
  await sqClient.close();
  await tbClient.close();
}
