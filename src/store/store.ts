/**
 * The Store: durable promises, tasks and schedules behind the Resonate protocol.
 *
 * Every implementation (memory, SQLite, PostgreSQL) is the same `ProtocolStore` kernel over a
 * different `Backend`: the transition rules live once, in src/store/kernel/, and a backend only
 * supplies atomic transactions, indexes and queries.
 */
import type { Envelope } from "../protocol/messages.js";
import type { Request, Response } from "../protocol/requests.js";

export interface Store {
  /**
   * Applies one protocol request atomically and durably: when the promise resolves, the change is
   * committed (on disk for SQLite/Postgres). Requests made while others are being committed share
   * the next transaction (group commit); each still gets its own answer. `now` defaults to the
   * wall clock.
   */
  apply<R extends Request>(req: R, now?: number): Promise<Response<R["kind"]>>;
  /**
   * Applies several requests, in order, each with its own answer: a refused item (4xx) never fails
   * its neighbours, and an item that throws is answered 500 alone. The answers are given only once
   * every item's change is committed.
   */
  applyBatch(reqs: readonly Request[], now?: number): Promise<Response[]>;
  /**
   * Does the work that is due at `now`: times out promises (timers resolve), releases expired
   * leases, re-delivers unclaimed tasks, fires schedules. Uses indexes, never a full scan.
   * Returns how many records it changed.
   */
  tick(now?: number): Promise<number>;
  /** The earliest moment something becomes due (promise timeout, task expiry, schedule), if any. */
  nextDeadline(): Promise<number | undefined>;
  /** Subscribes to messages produced by committed changes (execute / unblock), in commit order. */
  onMessage(listener: (envelope: Envelope) => void): () => void;
  /** Subscribes to what ticks did that nobody asked for (lease expiries), for metrics. */
  onTick?(listener: (report: TickReport) => void): () => void;
  close(): Promise<void>;
}

export interface TickReport {
  /** Acquired tasks whose holder stopped renewing its lease, now pending again. */
  leasesExpired: number;
}
