/**
 * What the engine asks of the world: the durable promises of one execution. The SDK implements it
 * over a Transport (every write fenced by the task lease); tests implement it in memory. The
 * engine itself does no I/O, and knows nothing of how these calls travel.
 */
import type { PromiseRecord, Tags, Value } from "../protocol/records.js";

export type ChildKind = "step" | "workflow" | "sleep" | "promise" | "rpc" | "race" | "patch";

export interface ChildSpec {
  id: string;
  kind: ChildKind;
  /** Function name for steps/workflows/rpcs; the kind for the rest. Checked on replay. */
  func: string;
  parentId: string;
  param: Value;
  timeoutAt: number;
  tags: Tags;
}

/** A call's result as it is stored. */
export interface Settled {
  /** rejected_canceled: what the execution's cancellation settles a pending child with. */
  state: "resolved" | "rejected" | "rejected_canceled";
  value: Value;
  /** How many times the call's function ran in this process (1 unless it was retried). */
  attempts: number;
  /** When it began to run here (engine clock). */
  startedAt?: number;
}

export interface Effects {
  /**
   * What this process already knows of `id` without I/O: its record, "absent" when it is
   * certainly not recorded (the execution's whole history is at hand), or undefined when only
   * the store can tell.
   */
  lookup(id: string): PromiseRecord | "absent" | undefined;
  /** Reads a record from the store; undefined when there is none. */
  read(id: string): Promise<PromiseRecord | undefined>;
  /** Creates the child's durable promise, pending; or returns the one recorded earlier. */
  create(spec: ChildSpec): Promise<PromiseRecord>;
  /**
   * Records a call that ran here, already settled, in one write (its result is all replay
   * needs). A record that exists already wins and is returned unchanged.
   */
  record(spec: ChildSpec, result: Settled): Promise<PromiseRecord>;
  /** Settles a pending child promise; one settled before stays as it was and is returned. */
  settle(id: string, result: Settled): Promise<PromiseRecord>;
  /**
   * Asks the child execution `id` (an rpc) to cancel, durably: its request
   * (`${id}.cancel`, cancellation.ts) is recorded and its task woken, as `reprise.cancel` does.
   * Idempotent; the child runs its own cleanup and settles its promise in its own time.
   */
  cancelChild(id: string, reason: string | undefined): Promise<void>;
}

/** Thrown by Effects when this process no longer holds the execution's lease: stop quietly. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}
