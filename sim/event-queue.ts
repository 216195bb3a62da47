/**
 * The simulator's one source of "later": every delivery, timer, heartbeat, tick and fault is an
 * event at a virtual time. Events run one at a time, earliest first, ties in the order they were
 * scheduled, so a plan's run is a deterministic sequence.
 */
export interface SimEvent {
  at: number;
  seq: number;
  /** Runs the event; the simulator waits for it (and the work it sets off) before the next. */
  run: () => void | Promise<void>;
  /** The process incarnation the event belongs to: it is dropped when that process has died. */
  owner?: EventOwner;
}

export interface EventOwner {
  readonly alive: boolean;
  /** While paused (a GC pause), the owner's events wait until this time. */
  readonly pausedUntil: number;
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, run: SimEvent["run"], owner?: EventOwner): SimEvent {
    const event: SimEvent = { at, seq: this.seq++, run, owner };
    this.heap.push(event);
    this.up(this.heap.length - 1);
    return event;
  }

  /** Puts an event back at a later time (its owner is paused), behind what is already due then. */
  requeue(event: SimEvent, at: number): void {
    event.at = at;
    event.seq = this.seq++;
    this.heap.push(event);
    this.up(this.heap.length - 1);
  }

  pop(): SimEvent | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private before(a: SimEvent, b: SimEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.before(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && this.before(heap[right]!, heap[least]!)) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}
