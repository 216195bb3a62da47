/**
 * The System of Record behind one narrow interface. TigerBeetle is the real one; PostgreSQL (the
 * default here, since a TigerBeetle server cannot run in this environment) and SQLite (the demo)
 * keep TigerBeetle's create_accounts contract, so the workflow cannot tell them apart.
 */

/** The fields of a TigerBeetle account this example sets. `id` is a u128. */
export interface LedgerAccount {
  id: bigint;
  ledger: number;
  code: number;
  flags: number;
}

/** What the workflow needs to know: did we create it, was it already there as ours, or as something else. */
export type LedgerResult = "created" | "exists_same" | "exists_diff";

export interface Ledger {
  createAccount(account: LedgerAccount): Promise<LedgerResult>;
  /** The account with this id, if the ledger has one (TigerBeetle's lookup_accounts). */
  lookupAccount(id: bigint): Promise<LedgerAccount | undefined>;
  close(): Promise<void>;
}

/**
 * TigerBeetle's create_accounts results that a ledger without balances can produce, by name.
 * TigerBeetle ≥ 0.17 names success `created`; earlier versions (and our PostgreSQL ledger) `ok`.
 */
export type CreateAccountResultName =
  | "ok"
  | "created"
  | "exists"
  | "exists_with_different_flags"
  | "exists_with_different_ledger"
  | "exists_with_different_code"
  | "exists_with_different_user_data_128"
  | "exists_with_different_user_data_64"
  | "exists_with_different_user_data_32"
  | "id_must_not_be_zero"
  | "id_must_not_be_int_max"
  | "ledger_must_not_be_zero"
  | "code_must_not_be_zero";

/** The largest u128; TigerBeetle reserves it. */
export const U128_MAX = (1n << 128n) - 1n;

/** Maps a create_accounts result to the workflow's three outcomes; anything else is a bug to surface. */
export function toLedgerResult(name: string): LedgerResult {
  if (name === "ok" || name === "created") return "created";
  if (name === "exists") return "exists_same";
  if (name.startsWith("exists_with_different_")) return "exists_diff";
  throw new LedgerError(name);
}

/** TigerBeetle's validation of a new account, for ledgers that are not TigerBeetle. */
export function validate(account: LedgerAccount): CreateAccountResultName | undefined {
  if (account.id === 0n) return "id_must_not_be_zero";
  if (account.id >= U128_MAX || account.id < 0n) return "id_must_not_be_int_max";
  if (account.ledger === 0) return "ledger_must_not_be_zero";
  if (account.code === 0) return "code_must_not_be_zero";
  return undefined;
}

/** TigerBeetle's answer when the id is taken: the first field that differs, in TigerBeetle's order. */
export function compareExisting(existing: Omit<LedgerAccount, "id">, requested: Omit<LedgerAccount, "id">): CreateAccountResultName {
  if (existing.flags !== requested.flags) return "exists_with_different_flags";
  if (existing.ledger !== requested.ledger) return "exists_with_different_ledger";
  if (existing.code !== requested.code) return "exists_with_different_code";
  return "exists";
}

export class LedgerError extends Error {
  override name = "LedgerError";
  constructor(readonly result: string) {
    super(`create_accounts failed: ${result}`);
  }
}
