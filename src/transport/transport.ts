/**
 * How the SDK reaches durable promises: one narrow interface, one file per implementation
 * (embedded: a Store in this process; http: a Reprise or Resonate server).
 */
import type { Message } from "../protocol/messages.js";
import type { Request, Response } from "../protocol/requests.js";

export interface Transport {
  /** Sends one protocol request and returns the server's answer (any status; never throws for 4xx). */
  send<R extends Request>(req: R): Promise<Response<R["kind"]>>;
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
  /** Stops deliveries and releases resources. */
  close(): Promise<void>;
}
