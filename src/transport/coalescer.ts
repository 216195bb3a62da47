/**
 * Groups the items added within one event-loop turn so they travel together (one HTTP request,
 * one store transaction on the server), and gives each caller its own answer.
 *
 * When nothing is in flight, everything queued goes at once (in groups, up to `maxInFlight` of
 * them). While groups are in flight, only full groups go; the rest waits and rides the next one:
 * the same group commit a store does with transactions. Waiting costs little then (the server is
 * busy with this client's work anyway) and makes groups as large as the load is, while a full
 * group gains nothing by waiting. `maxInFlight` bounds what one client asks of the server at a time.
 *
 * Items marked `first` (a worker's requests for executions already running) go ahead of the
 * others (new executions) when more is queued than a group takes: work already started finishes
 * before more starts, so fewer executions are in progress at once, each holding its state in
 * memory meanwhile (a burst of 100,000 beginRun: about half as many). A group (of more than one
 * item) keeps a quarter of its room for the others while any wait, so new work is never starved.
 */

export interface CoalescerOptions<T, R> {
  /** Most items in one group. */
  maxItems: number;
  /** Most bytes in one group (an item larger than this travels alone). */
  maxBytes: number;
  /** Most groups in flight at once. */
  maxInFlight: number;
  sizeOf(item: T): number;
  /** Whether the item goes ahead of the others (default: none does; the queue is then in order). */
  first?(item: T): boolean;
  /**
   * Sends one group and settles each entry. Entries still unsettled when it returns or throws are
   * rejected (with the error it threw).
   */
  send(entries: readonly Entry<T, R>[]): Promise<void>;
}

export interface Entry<T, R> {
  readonly item: T;
  resolve(answer: R): void;
  reject(error: Error): void;
}

export class Coalescer<T, R> {
  /** Items that go ahead, oldest first. */
  private readonly firsts: QueuedEntry<T, R>[] = [];
  /** The others, oldest first. */
  private readonly others: QueuedEntry<T, R>[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly options: CoalescerOptions<T, R>) {
    if (options.maxItems < 1 || options.maxInFlight < 1) throw new Error("a coalescer needs room for one item and one group in flight");
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const size = this.options.sizeOf(item);
      (this.options.first?.(item) ? this.firsts : this.others).push(new QueuedEntry(item, size, resolve, reject));
      this.queuedBytes += size;
      this.schedule();
    });
  }

  /** Flushes after the current turn: every add of this turn (and its microtasks) joins the group. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const idle = this.inFlight === 0;
    while (this.queued > 0 && this.inFlight < this.options.maxInFlight && (idle || this.hasFullGroup())) {
      void this.run(this.takeGroup());
    }
  }

  private get queued(): number {
    return this.firsts.length + this.others.length;
  }

  private hasFullGroup(): boolean {
    return this.queued >= this.options.maxItems || this.queuedBytes >= this.options.maxBytes;
  }

  /**
   * As many items as both bounds allow (always at least one): the oldest firsts, leaving a quarter
   * of the room to the oldest others if any wait, then the others, then firsts again in what is left.
   */
  private takeGroup(): QueuedEntry<T, R>[] {
    const { maxItems, maxBytes } = this.options;
    const group: QueuedEntry<T, R>[] = [];
    let bytes = 0;
    const takeFrom = (queue: QueuedEntry<T, R>[], upTo: number) => {
      let count = 0;
      while (count < queue.length && group.length + count < upTo) {
        const size = queue[count]!.size;
        if (group.length + count > 0 && bytes + size > maxBytes) break;
        bytes += size;
        count++;
      }
      if (count > 0) group.push(...queue.splice(0, count));
    };
    takeFrom(this.firsts, Math.max(1, maxItems - Math.min(this.others.length, Math.ceil(maxItems / 4))));
    takeFrom(this.others, maxItems);
    takeFrom(this.firsts, maxItems);
    this.queuedBytes -= bytes;
    return group;
  }

  private async run(group: QueuedEntry<T, R>[]): Promise<void> {
    this.inFlight++;
    try {
      await this.options.send(group);
      // An Error only when one is needed: capturing its stack cost more than the rest of a lone request's group.
      let unanswered: Error | undefined;
      for (const entry of group) if (!entry.settled) entry.reject((unanswered ??= new Error("no answer was given for this request")));
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      for (const entry of group) entry.reject(cause);
    } finally {
      this.inFlight--;
      if (this.queued > 0) this.schedule();
    }
  }
}

class QueuedEntry<T, R> implements Entry<T, R> {
  /** Answered or failed: a promise settles once, so nothing more is to be said to it. */
  settled = false;

  constructor(
    readonly item: T,
    readonly size: number,
    private readonly answer: (answer: R) => void,
    private readonly refuse: (error: Error) => void,
  ) {}

  resolve(answer: R): void {
    this.settled = true;
    this.answer(answer);
  }

  reject(error: Error): void {
    this.settled = true;
    this.refuse(error);
  }
}
