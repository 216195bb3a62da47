/**
 * The Store: durable promises, tasks and schedules behind the Resonate protocol.
 *
 * Every implementation (memory, SQLite, PostgreSQL) is the same `ProtocolStore` kernel over a
 * different `Backend`: the transition rules live once, in src/store/kernel/, and a backend only
 * supplies atomic transactions, indexes and queries.
 */
import type { Envelope } from "../protocol/messages.js";
import type { Request, Response } from "../protocol/requests.js";
import type { StepAnswer, StepRecord } from "../protocol/step-record.js";
import type { FinishedRoot, SpeculationOutcome } from "./backend.js";

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
   * Records a step that ran in the caller's process, already settled, as the `task.fence` it
   * stands for would (protocol/step-record.ts), sharing the transactions of `apply`. The embedded
   * SDK's fast lane: no request, head or answer envelope is built when the store decides it at
   * once. Answers the record made, or the request's answer when it took the general way.
   */
  recordStep?(step: StepRecord, now?: number): Promise<StepAnswer>;
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
  /**
   * Subscribes to other processes' commits to the same store, where their messages do not reach
   * this one (processes sharing a SQLite file): a cue to look for work and results now.
   */
  onOtherCommits?(listener: () => void): () => void;
  /** Subscribes to how each speculative transaction ended (PostgreSQL: docs/ARCHITECTURE.md), for metrics. */
  onSpeculation?(listener: (outcome: SpeculationOutcome) => void): () => void;
  /**
   * Deletes finished executions whose retention has passed, or (`olderThanMs`) every one that
   * finished at least that long ago; docs/retention.md. In short transactions of its own.
   */
  purge?(options?: PurgeOptions): Promise<PurgeReport>;
  /** When finished execution `id` settled and when it will be deleted; undefined while it runs. */
  finishedRoot?(id: string): Promise<FinishedRoot | undefined>;
  close(): Promise<void>;
}

export interface PurgeOptions {
  /** Default: the store's clock. */
  now?: number;
  /** Every execution that finished at least this many ms ago, whatever its retention (`reprise purge --older-than`). */
  olderThanMs?: number;
}

export interface PurgeReport {
  /** Executions deleted, each with everything under its root. */
  executions: number;
  /** Promises deleted, roots included. */
  promises: number;
  /** Executions left in place because something under them is still pending. */
  kept: number;
  /** The pass stopped with due executions left (the next pass goes on). */
  more: boolean;
}

export interface TickReport {
  /** Acquired tasks whose holder stopped renewing its lease, now pending again. */
  leasesExpired: number;
}
