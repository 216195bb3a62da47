/**
 * What the HTTP server and the cancel script do with purchases: start one in either form, ask to
 * cancel it, read its outcome. The workflows hold the state; this starts, signals and reads them.
 */
import { StoreError, type DurablePromiseView, type Handle, type Reprise } from "../../src/index.js";
import { signal } from "../shared/signal.js";
import type { CancelSignals } from "./one-click-buy-in-memory.js";
import { cancelId, type CancelRequest } from "./one-click-buy.js";
import { buyId, type BuyOutcome } from "./purchase-steps.js";

export type BuyForm = "durable" | "in-memory";

/** The registered workflow of each form. */
export const WORKFLOW_OF: Record<BuyForm, string> = { durable: "oneClickBuy", "in-memory": "oneClickBuyInMemory" };

export class OrderNotFound extends Error {
  override name = "OrderNotFound";
}

/** The cancel cannot change the outcome: it is decided, or the window has closed. */
export class TooLate extends Error {
  override name = "TooLate";
}

/** The seed's form only: no process holds this order's window in memory, so the cancel goes nowhere. */
export class CancelLost extends Error {
  override name = "CancelLost";
}

export interface PurchaseView {
  orderId: string;
  form: BuyForm;
  state: "window open" | "confirmed" | "cancelled";
  /** When the durable window closes (the durable form only). */
  closesAt?: number;
}

export interface BuyServiceOptions {
  windowMs: number;
  /** The in-process signals of the seed's form; absent in a process that runs no workflows. */
  signals?: CancelSignals;
  /** Told about every purchase this service starts (main.ts announces the outcomes). */
  onPurchase?: (handle: Handle<BuyOutcome>) => void;
}

export class BuyService {
  constructor(
    private readonly reprise: Reprise,
    private readonly options: BuyServiceOptions,
  ) {}

  async buy(orderId: string, form: BuyForm): Promise<void> {
    const handle = await this.reprise.beginRun<BuyOutcome>(buyId(orderId), WORKFLOW_OF[form], orderId, this.options.windowMs);
    this.options.onPurchase?.(handle);
  }

  /** Asks to cancel. The answer says the request is in (stored or delivered), not the outcome. */
  async cancel(orderId: string): Promise<void> {
    const { root, form } = await this.find(orderId);
    if (root.state !== "pending") throw new TooLate(`order ${orderId} is already ${(root.value as BuyOutcome | undefined)?.outcome ?? root.state}`);
    if (form === "in-memory") {
      if (!this.options.signals?.cancel(orderId)) throw new CancelLost(`no process holds the cancellation window of order ${orderId} in memory; the cancel is lost`);
      return;
    }
    // See README: a cancel stored after the deadline would still win a race replayed later.
    const closesAt = await this.windowClosesAt(orderId);
    if (closesAt !== undefined && Date.now() >= closesAt) throw new TooLate(`the cancellation window of order ${orderId} closed at ${new Date(closesAt).toISOString()}`);
    const request: CancelRequest = { at: Date.now() };
    await signal(this.reprise, cancelId(orderId), request);
  }

  /** Waits for the order's outcome. */
  async outcome(orderId: string): Promise<BuyOutcome> {
    await this.find(orderId);
    return (await this.reprise.get<BuyOutcome>(buyId(orderId))).result();
  }

  async view(orderId: string): Promise<PurchaseView> {
    const { root, form } = await this.find(orderId);
    const closesAt = form === "durable" ? await this.windowClosesAt(orderId) : undefined;
    const state = root.state === "pending" ? "window open" : ((root.value as BuyOutcome).outcome);
    return { orderId, form, state, ...(closesAt !== undefined ? { closesAt } : {}) };
  }

  private async find(orderId: string): Promise<{ root: DurablePromiseView; form: BuyForm }> {
    try {
      const root = await this.reprise.promises.get(buyId(orderId));
      const form = root.tags["reprise:func"] === WORKFLOW_OF["in-memory"] ? "in-memory" : "durable";
      return { root, form };
    } catch (error) {
      if (error instanceof StoreError && error.status === 404) throw new OrderNotFound(`no purchase for order ${orderId}`);
      throw error;
    }
  }

  /** The deadline of the order's window timer, once the workflow has created it. */
  private async windowClosesAt(orderId: string): Promise<number | undefined> {
    const { promises } = await this.reprise.promises.search({ id: `${buyId(orderId)}.*`, tags: { "reprise:kind": "sleep" } });
    return promises[0]?.timeoutAt;
  }
}
