/**
 * Suspension decided from state, not from the event loop. An execution is made of strands: the
 * root, and each call started with beginRun. A strand is running (its code runs, or it waits for
 * an answer from the store), blocked on durable promises that only the outside world can settle,
 * waiting for another strand, or done. When no strand runs, nothing in this process can move
 * again: the durable promises the strands are blocked on are what the execution suspends on.
 */
export class Strands {
  private running = 0;
  /** Blocked-on promise ids, counted: two strands may wait for the same one. Made when a strand first blocks: most runs never do. */
  private blocked: Map<string, number> | undefined;

  /** `onIdle` runs, synchronously, each time the last running strand stops. */
  constructor(private readonly onIdle: () => void) {}

  get idle(): boolean {
    return this.running === 0;
  }

  /** A strand starts, or wakes up. */
  start(): void {
    this.running++;
  }

  /** A strand stops running: it is done, or waits for another strand. */
  stop(): void {
    this.running--;
    if (this.running === 0) this.onIdle();
  }

  /** A strand stops running until one of `ids` settles, which cannot happen in this run. */
  block(ids: readonly string[]): void {
    const blocked = (this.blocked ??= new Map());
    for (const id of ids) blocked.set(id, (blocked.get(id) ?? 0) + 1);
    this.stop();
  }

  /** A strand that was blocked on `ids` woke up for another reason (a race won by a local call). */
  unblock(ids: readonly string[]): void {
    const blocked = this.blocked;
    if (blocked === undefined) return;
    for (const id of ids) {
      const count = (blocked.get(id) ?? 0) - 1;
      if (count > 0) blocked.set(id, count);
      else blocked.delete(id);
    }
  }

  /** The durable promises the blocked strands wait for. */
  awaiting(): string[] {
    return this.blocked === undefined ? [] : [...this.blocked.keys()];
  }
}
