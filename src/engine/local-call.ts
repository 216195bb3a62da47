/**
 * A call started with beginRun that runs in this process, as a strand of its own. Whoever waits
 * for it is woken, and counted as running again, in the same synchronous step in which it
 * completes: so the count of running strands never drops to zero between the two.
 */
import type { Result } from "./replay.js";
import type { Strands } from "./strands.js";

export class LocalCall {
  result: Result | undefined;
  private listeners: Array<() => void> = [];

  constructor(readonly id: string) {}

  complete(result: Result): void {
    this.result = result;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }

  /** Calls `listener` once, when the call completes (not if it has already). */
  onComplete(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The call's result; the waiting strand stops running until it is there. */
  wait(strands: Strands): Promise<Result> {
    if (this.result) return Promise.resolve(this.result);
    return new Promise<Result>((resolve) => {
      this.onComplete(() => {
        strands.start();
        resolve(this.result!);
      });
      strands.stop();
    });
  }
}
