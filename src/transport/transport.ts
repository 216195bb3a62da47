/**
 * How the SDK reaches durable promises: one narrow interface, one file per implementation
 * (embedded: a Store in this process; http: a Reprise or Resonate server).
 */
import type { Message } from "../protocol/messages.js";
import type { Request, Response } from "../protocol/requests.js";
import type { StepAnswer, StepRecord } from "../protocol/step-record.js";

export interface Transport {
  /** Sends one protocol request and returns the server's answer (any status; never throws for 4xx). */
  send<R extends Request>(req: R): Promise<Response<R["kind"]>>;
  /**
   * Optional (a store in this process): records a step that ran here, already settled, without a
   * request around it (protocol/step-record.ts). Without it, the SDK sends the `task.fence`.
   */
  recordStep?(step: StepRecord): Promise<StepAnswer>;
  /**
   * Starts delivering the messages addressed to this process: `poll://uni@group/pid` and
   * `poll://any@group[/pid]`. Resolves once the subscription is live.
   */
  subscribe(group: string, pid: string, onMessage: (message: Message) => void): Promise<void>;
  /**
   * Optional: calls `listener` when the store may have changed in a way no message tells this
   * process about (another process sharing an embedded SQLite file committed). Returns the
   * unsubscribe.
   */
  onChangedElsewhere?(listener: () => void): () => void;
  /**
   * Optional: resolves once the chores a subscription starts have run once (the embedded store's
   * first tick: what was due while no process ran has fired). `Reprise.ready()` waits for it.
   */
  choresDone?(): Promise<void>;
  /** Stops deliveries and releases resources. */
  close(): Promise<void>;
}
