/**
 * How a call travels in a promise, as both SDKs write it: the param is the encoded
 * `{ func, args, version }`, and a root execution carries the tags that route it and name it.
 * The SDK, its schedules and the CLI all start executions through these.
 */
import { decodeValue, encodeValue } from "./codec.js";
import type { PromiseRecord, Tags, Value } from "./records.js";
import { TAG } from "./tags.js";

/** The param of a call to `func`. Throws a SerializationError naming what cannot be stored. */
export function encodeCall(func: string, args: unknown[]): Value {
  return encodeValue({ func, args, version: 1 }, `the arguments of ${func}`);
}

/** The function and arguments a param names; empty when it names none (or is not ours). */
export function decodeCall(param: Value): { func?: string; args: unknown[] } {
  let decoded: unknown;
  try {
    decoded = decodeValue(param);
  } catch {
    return { args: [] };
  }
  if (typeof decoded !== "object" || decoded === null) return { args: [] };
  const { func, args } = decoded as { func?: unknown; args?: unknown };
  return { ...(typeof func === "string" ? { func } : {}), args: Array.isArray(args) ? args : [] };
}

/**
 * The tags of an execution's root promise: where it runs (`address`), that it is a root running
 * `func`, and — when its id is known — its lineage (a scheduled run's id is not known ahead).
 */
export function rootTags(func: string, address: string, id?: string): Tags {
  return {
    [TAG.target]: address,
    [TAG.scope]: "global",
    ...(id === undefined ? {} : { [TAG.origin]: id, [TAG.branch]: id, [TAG.parent]: id }),
    [TAG.kind]: "root",
    [TAG.func]: func,
  };
}

/**
 * True for the root promise of an execution: Reprise tags it `reprise:kind=root`; a promise made
 * by another SDK counts when it has a target, global scope, and is its own origin (or has none).
 * A Reprise rpc child also has a target, but it belongs to its caller's tree, not to the list.
 * (The dashboard lists these; the store keeps them for retention.)
 */
export function isExecutionRoot(record: Pick<PromiseRecord, "id" | "tags">): boolean {
  const kind = record.tags[TAG.kind];
  if (kind !== undefined) return kind === "root";
  if (record.tags[TAG.target] === undefined || record.tags[TAG.scope] !== "global") return false;
  const origin = record.tags[TAG.origin];
  return origin === undefined || origin === record.id;
}
