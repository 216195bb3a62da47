/**
 * The engine's only way to touch the world. The SDK implements it over a Transport (fenced by the
 * task lease); tests implement it in memory. The engine itself does no I/O.
 */
import type { PromiseRecord, Tags, Value } from "../protocol/records.js";

export type ChildKind = "step" | "workflow" | "sleep" | "promise" | "rpc" | "race";

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

export interface Effects {
  now(): number;
  /** Waits (not durably) before a step's next attempt. */
  delay(ms: number): Promise<void>;
  /** Creates the child's durable promise, or returns the one recorded by an earlier run. */
  create(spec: ChildSpec): Promise<PromiseRecord>;
  /**
   * True when `id` is certainly not recorded yet (the whole history was preloaded and it is not
   * in it). The engine then runs a step while its create is being committed, instead of after.
   */
  isUnrecorded(id: string): boolean;
  /** Whether requests reach the store in the order they are made (in-process), not just eventually (HTTP). */
  readonly ordered: boolean;
  /** Settles a child's durable promise; a promise settled before stays as it was. */
  settle(id: string, state: "resolved" | "rejected", value: Value, attempts: number): Promise<PromiseRecord>;
  getDependency(name: string): unknown;
  /**
   * Wraps one run of the execution (kind "root") and each call that actually runs (not one
   * answered from its record). Tracing and metrics hook in here; the engine only reports.
   */
  observe<T extends { ok: boolean; error?: unknown }>(call: ObservedCall, run: () => Promise<T>): Promise<T>;
  /** The address remote calls go to when the call names no target. */
  defaultTarget(): string;
  /** Turns a target option (group name or address) into an address. */
  resolveTarget(target: string): string;
}

/** Thrown by Effects when this process no longer holds the execution's lease: stop quietly. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

export interface ObservedCall {
  id: string;
  func: string;
  kind: ChildKind | "root";
  /** The execution or workflow that made the call. */
  parentId?: string;
}
