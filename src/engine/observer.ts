/**
 * Where tracing and metrics hook in. The engine reports one run of the execution (kind "root")
 * and each call that actually runs (not one answered from its record); it never looks at what an
 * observer does with them.
 */
import type { ChildKind } from "./effects.js";

export interface ObservedCall {
  id: string;
  func: string;
  kind: ChildKind | "root";
  /** The execution or workflow that made the call. */
  parentId?: string;
}

export interface Observer {
  observe<T extends { ok: boolean; error?: unknown }>(call: ObservedCall, run: () => Promise<T>): Promise<T>;
}

/** Observes nothing: the run goes straight through. */
export const unobserved: Observer = {
  observe: (_call, run) => run(),
};
