/**
 * What one transition sees: the open transaction, the moment it happens at, and the outbox that
 * collects the messages it produces. Messages leave the outbox only after the transaction commits.
 * The requests of one batch share one transaction, so their contexts share one outbox.
 */
import type { Envelope } from "../../protocol/messages.js";
import type { PromiseRecord } from "../../protocol/records.js";
import type { Tx } from "../backend.js";
import { DeclaredLimits } from "./declared-limits.js";
import { DEFAULT_RETENTION_MS } from "../../protocol/retention.js";

export class KernelContext {
  constructor(
    readonly tx: Tx,
    readonly now: number,
    /** How long a pending task waits for a worker to acquire it before it is sent again. */
    readonly redeliverAfterMs: number,
    /** The transaction's outbox, shared by the contexts of one batch. */
    private readonly envelopes: Envelope[] = [],
    /** The flow limits this store knows are declared (kernel/declared-limits.ts), shared by its transactions. */
    readonly declared: DeclaredLimits = new DeclaredLimits(),
    /** How long a finished execution is kept unless its root says otherwise (kernel/retention.ts); 0 = for ever. */
    readonly retentionMs: number = DEFAULT_RETENTION_MS,
  ) {}

  /** When a task made pending now is due for re-delivery. */
  get redeliveryAt(): number {
    return this.now + this.redeliverAfterMs;
  }

  /** Asks `address` to execute a task. A later execute for the same task replaces an earlier one. */
  execute(address: string, task: { id: string; version: number }): void {
    const earlier = this.envelopes.findIndex(
      ({ message }) => message.kind === "execute" && message.data.task.id === task.id,
    );
    if (earlier !== -1) this.envelopes.splice(earlier, 1);
    this.envelopes.push({
      address,
      message: { kind: "execute", head: {}, data: { task: { id: task.id, version: task.version } } },
    });
  }

  /** Tells `address` that a promise it listens to has settled. */
  unblock(address: string, promise: PromiseRecord): void {
    this.envelopes.push({ address, message: { kind: "unblock", head: {}, data: { promise } } });
  }

  /** The messages produced so far, in the order they were produced. */
  get outbox(): readonly Envelope[] {
    return this.envelopes;
  }
}
