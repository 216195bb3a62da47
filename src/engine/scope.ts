/**
 * A workflow body's scope: the root execution, or a child workflow run as a call of it. It names
 * the body's calls (`${id}.1`, `${id}.2`, … in call order, unless a call names its own id) and
 * bounds their deadlines.
 */
export class Scope {
  private counter = 0;
  /** The execution's CancelledError has been thrown into this scope: its later calls are its cleanup. */
  delivered = false;

  constructor(
    readonly id: string,
    readonly timeoutAt: number,
  ) {}

  childId(options: { id?: string }): string {
    this.counter++;
    return options.id ?? `${this.id}.${this.counter}`;
  }

  /** The id the next derived call will get, without taking it. */
  nextChildId(): string {
    return `${this.id}.${this.counter + 1}`;
  }
}
