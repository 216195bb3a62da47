/** Messages the server pushes to workers over `/poll/<group>/<pid>` (Server-Sent Events). */
import type { PromiseRecord } from "./records.js";

export interface ExecuteMessage {
  kind: "execute";
  head: { serverUrl?: string };
  data: { task: { id: string; version: number } };
}

export interface UnblockMessage {
  kind: "unblock";
  head: { serverUrl?: string };
  data: { promise: PromiseRecord };
}

export type Message = ExecuteMessage | UnblockMessage;

/** A message and the address it is for. */
export interface Envelope {
  address: string;
  message: Message;
}
