/**
 * The embedded transport: the Store lives in this process (SQLite file by default), so a request
 * is a function call and messages come straight from the store's commit stream. A Ticker fires
 * timers and lease expiries, so a restarted process finds its sleeping workflows on time.
 */
import type { Message } from "../protocol/messages.js";
import type { Request, Response } from "../protocol/requests.js";
import type { StepAnswer, StepRecord } from "../protocol/step-record.js";
import { isAddressedTo } from "../protocol/tags.js";
import type { Store } from "../store/store.js";
import type { Logger } from "../observability/logger.js";
import { Ticker } from "../store/ticker.js";
import type { Transport } from "./transport.js";

export class EmbeddedTransport implements Transport {
  private readonly ticker: Ticker;
  private readonly unsubscribes: Array<() => void> = [];

  /** A record made settled has no deadline to hint: straight to the store. */
  readonly recordStep?: (step: StepRecord) => Promise<StepAnswer>;

  constructor(
    readonly store: Store,
    options: { logger?: Logger; maxTickIntervalMs?: number } = {},
  ) {
    this.ticker = new Ticker(store, { logger: options.logger, maxIntervalMs: options.maxTickIntervalMs ?? 500 });
    if (store.recordStep) this.recordStep = store.recordStep.bind(store);
  }

  send<R extends Request>(req: R): Promise<Response<R["kind"]>> {
    // Only hints, no recheck: its read would queue for the write lock behind the hot path; what no
    // request shows (a release's redelivery) is found within maxTickIntervalMs. A hint is a time
    // to wake at, later than the request's commit, so it may be given before the request is applied.
    this.ticker.hintFor(req);
    return this.store.apply(req);
  }

  async subscribe(group: string, pid: string, onMessage: (message: Message) => void): Promise<void> {
    this.ticker.start();
    this.unsubscribes.push(
      // In one process every member of the group is us: unicast must name our pid, anycast may.
      this.store.onMessage(({ address, message }) => {
        if (isAddressedTo(address, group, pid)) onMessage(message);
      }),
    );
  }

  onChangedElsewhere(listener: () => void): () => void {
    const unsubscribe = this.store.onOtherCommits?.(listener) ?? (() => {});
    this.unsubscribes.push(unsubscribe);
    return unsubscribe;
  }

  choresDone(): Promise<void> {
    return this.ticker.firstTickDone;
  }

  async close(): Promise<void> {
    await this.ticker.stop();
    this.unsubscribes.splice(0).forEach((unsubscribe) => unsubscribe());
    await this.store.close();
  }
}
