/**
 * Groups the items added within one event-loop turn so they travel together (one HTTP request,
 * one store transaction on the server), and gives each caller its own answer.
 *
 * When nothing is in flight, everything queued goes at once (in groups, up to `maxInFlight` of
 * them). While groups are in flight, only full groups go; the rest waits and rides the next one:
 * the same group commit a store does with transactions. Waiting costs little then (the server is
 * busy with this client's work anyway) and makes groups as large as the load is, while a full
 * group gains nothing by waiting. `maxInFlight` bounds what one client asks of the server at a time.
 */

export interface CoalescerOptions<T, R> {
  /** Most items in one group. */
  maxItems: number;
  /** Most bytes in one group (an item larger than this travels alone). */
  maxBytes: number;
  /** Most groups in flight at once. */
  maxInFlight: number;
  sizeOf(item: T): number;
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
  private readonly queue: QueuedEntry<T, R>[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly options: CoalescerOptions<T, R>) {
    if (options.maxItems < 1 || options.maxInFlight < 1) throw new Error("a coalescer needs room for one item and one group in flight");
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const size = this.options.sizeOf(item);
      this.queue.push({ item, size, resolve, reject });
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
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight && (idle || this.hasFullGroup())) {
      void this.run(this.takeGroup());
    }
  }

  private hasFullGroup(): boolean {
    return this.queue.length >= this.options.maxItems || this.queuedBytes >= this.options.maxBytes;
  }

  /** The longest prefix of the queue within both bounds; always at least one item. */
  private takeGroup(): QueuedEntry<T, R>[] {
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.options.maxItems) {
      const size = this.queue[count]!.size;
      if (count > 0 && bytes + size > this.options.maxBytes) break;
      bytes += size;
      count++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, count);
  }

  private async run(group: QueuedEntry<T, R>[]): Promise<void> {
    this.inFlight++;
    try {
      await this.options.send(group);
      // A promise settles once: these only reach entries the sender left unsettled.
      const unanswered = new Error("no answer was given for this request");
      for (const entry of group) entry.reject(unanswered);
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      for (const entry of group) entry.reject(cause);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
    }
  }
}

interface QueuedEntry<T, R> extends Entry<T, R> {
  size: number;
}
