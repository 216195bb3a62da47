/**
 * The two writes, as steps. Each reads its client from the dependencies set in main.ts, so the
 * workflow stays free of connections, and returns the seed's `{ type }` result.
 */
import type { Context } from "../../src/index.js";
import type { Ledger, LedgerResult } from "./ledger.js";
import type { SystemOfReference } from "./system-of-reference.js";

export interface StepResult {
  type: LedgerResult;
}

/** The ledger and account code every account of this example is created under. */
export const ACCOUNT_KIND = { ledger: 1, code: 718, flags: 0 } as const;

/** Write 1, the System of Reference (SQLite): uuid → guid. */
export async function sqCreateAccount(context: Context, uuid: string, guid: string): Promise<StepResult> {
  const sqClient = context.getDependency<SystemOfReference>("sqClient");
  return { type: await sqClient.createAccount(uuid, guid) };
}

/** Write 2, last, the System of Record (TigerBeetle, or a ledger with its contract). */
export async function tbCreateAccount(context: Context, guid: string): Promise<StepResult> {
  const tbClient = context.getDependency<Ledger>("tbClient");
  return { type: await tbClient.createAccount({ id: BigInt(guid), ...ACCOUNT_KIND }) };
}
