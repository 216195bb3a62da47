/** The real System of Record: TigerBeetle, through the official client. Used when TB_ADDRESS is set. */
import { createClient, CreateAccountStatus, type Account, type Client } from "tigerbeetle-node";
import { toLedgerResult, type Ledger, type LedgerAccount, type LedgerResult } from "./ledger.js";

/** The part of the TigerBeetle client this ledger uses (tests stub it). */
export type AccountsClient = Pick<Client, "createAccounts" | "lookupAccounts" | "destroy">;

export class TigerBeetleLedger implements Ledger {
  constructor(private readonly client: AccountsClient) {}

  static connect(address: string, clusterId = 0n): TigerBeetleLedger {
    return new TigerBeetleLedger(createClient({ cluster_id: clusterId, replica_addresses: [address] }));
  }

  async createAccount(account: LedgerAccount): Promise<LedgerResult> {
    const [result] = await this.client.createAccounts([toTigerBeetleAccount(account)]);
    if (result === undefined) throw new Error("create_accounts returned no result for one account");
    const name = CreateAccountStatus[result.status] ?? `status ${result.status}`;
    return toLedgerResult(name);
  }

  async lookupAccount(id: bigint): Promise<LedgerAccount | undefined> {
    const [account] = await this.client.lookupAccounts([id]);
    return account && { id: account.id, ledger: account.ledger, code: account.code, flags: account.flags };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function toTigerBeetleAccount({ id, ledger, code, flags }: LedgerAccount): Account {
  return {
    id,
    debits_pending: 0n,
    debits_posted: 0n,
    credits_pending: 0n,
    credits_posted: 0n,
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: 0,
    reserved: 0,
    ledger,
    code,
    flags,
    timestamp: 0n,
  };
}
