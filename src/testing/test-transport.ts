/**
 * The transport of a test: an in-memory store in this process, at the time of a VirtualClock.
 * It counts requests in flight (so a test knows when nothing can move but time), and it can be
 * severed as kill -9 severs a process: every request from then on, and every answer still owed,
 * never arrives, while the store keeps what it committed.
 */
import type { Message } from "../protocol/messages.js";
import type { Request, Response } from "../protocol/requests.js";
import { isAddressedTo } from "../protocol/tags.js";
import type { Store } from "../store/store.js";
import type { Transport } from "../transport/transport.js";

/** What to do with a request on its way to the store. */
export type Interception = "deliver" | "crash-before" | "crash-after";

export class TestTransport implements Transport {
  private inFlight = 0;
  private severed = false;
  private readonly unsubscribes: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    /** Decides, per request, whether the process dies before or after the store applies it. */
    private readonly intercept: (req: Request) => Interception = () => "deliver",
  ) {}

  /** Whether requests are on their way to (or back from) the store. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  get crashed(): boolean {
    return this.severed;
  }

  /** Everything this process would still hear or be answered is lost, as with kill -9. */
  crash(): void {
    this.severed = true;
    this.unsubscribes.splice(0).forEach((unsubscribe) => unsubscribe());
  }

  async send<R extends Request>(req: R): Promise<Response<R["kind"]>> {
    if (this.severed) return never();
    const decision = this.intercept(req);
    if (decision === "crash-before") {
      this.crash();
      return never();
    }
    this.inFlight++;
    try {
      const response = await this.store.apply(req, this.now());
      if (decision === "crash-after") this.crash();
      return this.severed ? never() : response;
    } finally {
      this.inFlight--;
    }
  }

  async subscribe(group: string, pid: string, onMessage: (message: Message) => void): Promise<void> {
    if (this.severed) return;
    this.unsubscribes.push(
      this.store.onMessage(({ address, message }) => {
        if (!this.severed && isAddressedTo(address, group, pid)) onMessage(message);
      }),
    );
  }

  /** Closes this process's connection; the store is the test's, and stays open. */
  async close(): Promise<void> {
    this.unsubscribes.splice(0).forEach((unsubscribe) => unsubscribe());
  }
}

/** An answer that never comes: the process that would have received it is gone. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}
