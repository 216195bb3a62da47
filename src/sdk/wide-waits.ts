/**
 * An execution that awaits more durable promises at once than one `task.suspend` may name
 * (MAX_BATCH callbacks): a race of 5,000 timers or signals, thousands of concurrent calls in an
 * async workflow. The store refuses such a suspension, and callbacks registered beside it could
 * fire before it commits (the store then notes them on the busy task, and the suspension drops
 * the note, as the reference server does): a settlement would be missed.
 *
 * So the execution does not suspend. It stays in this process, holding its lease (heartbeats
 * renew it), with a callback on each promise it awaits. A callback that fires while its task is
 * busy notes the promise in the task's `resumes`; the wait reads the task now and then (one
 * `task.get`, every POLL_MS at first, backing off to MAX_POLL_MS) and wakes for a new note. After
 * a crash, the process that takes the execution over reaches the same wait and registers again.
 *
 * What settled is handed to the execution only between its runs, as a suspension's preload is.
 */
import type { PromiseRecord, TaskRecord } from "../protocol/records.js";
import type { ProtocolClient } from "./client.js";

export const POLL_MS = 20;
export const MAX_POLL_MS = 1000;

export class WideWait {
  /** Promises this execution has registered a callback on. */
  private readonly registered = new Set<string>();
  /** Notes in `resumes` already turned into records. */
  private readonly handled = new Set<string>();
  private wake: (() => void) | undefined;
  /** A cancellation request arrived: replay now. */
  private interrupted = false;
  private stopped = false;

  constructor(
    private readonly task: { id: string; version: number },
    private readonly client: ProtocolClient,
  ) {}

  /**
   * Waits until one of `awaiting` has settled (or a cancellation request interrupts), and puts
   * what settled into `known`. False when the execution should leave: the worker stopped, or the
   * task is no longer held here (its lease was lost, its promise settled by a timeout or a cancel).
   */
  async until(awaiting: readonly string[], known: Map<string, PromiseRecord>): Promise<boolean> {
    const arrived: PromiseRecord[] = [];
    const fresh = awaiting.filter((id) => !this.registered.has(id));
    for (const id of fresh) this.registered.add(id);
    const answers = await Promise.all(fresh.map((awaited) => this.client.send("promise.register_callback", { awaited, awaiter: this.task.id })));
    answers.forEach((answer, n) => {
      if (answer.head.status !== 200) throw new Error(`registering a callback on ${fresh[n]!} failed with ${answer.head.status}: ${String(answer.data)}`);
      const { promise } = answer.data as { promise: PromiseRecord };
      // Settled already: the answer says so, and no callback was left.
      if (promise.state !== "pending") arrived.push(promise);
    });
    for (let pause = POLL_MS; arrived.length === 0 && !this.interrupted; pause = Math.min(MAX_POLL_MS, pause * 2)) {
      if (!this.stopped) await this.sleep(pause);
      if (this.stopped) return false;
      if (this.interrupted) break;
      const answer = await this.client.send("task.get", { id: this.task.id });
      if (answer.head.status !== 200) return false;
      const { task } = answer.data as { task: TaskRecord };
      if (task.state !== "acquired" || task.version !== this.task.version) return false;
      const notes = task.resumes.filter((id) => this.registered.has(id) && !this.handled.has(id));
      for (const id of notes) {
        this.handled.add(id);
        const got = await this.client.send("promise.get", { id });
        if (got.head.status === 200) arrived.push((got.data as { promise: PromiseRecord }).promise);
      }
    }
    this.interrupted = false;
    for (const record of arrived) known.set(record.id, record);
    return true;
  }

  /** A cancellation request arrived: replay now, with it. */
  cancel(): void {
    this.interrupted = true;
    this.wake?.();
  }

  /** The worker stops: the execution leaves. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Resolves after `ms`, or at once on a cancel or a stop. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
