/**
 * What a workflow generator yields to the engine. User code never builds these: the Context
 * methods do, and `yield*` hands the engine's answer back as the method's return value.
 */
import type { CallOptions } from "./options.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- step functions take any arguments
export type AnyFunction = (...args: any[]) => unknown;

/** Run `func` here, durably: a plain/async function (a step) or a generator function (a child workflow). */
export interface RunCommand {
  kind: "run";
  func: AnyFunction;
  name: string;
  args: unknown[];
  options: CallOptions;
  /** true for beginRun: answer with a Future at once instead of the result. */
  deferred: boolean;
}

/** Run a registered function on whichever worker of the target group claims it. */
export interface RpcCommand {
  kind: "rpc";
  name: string;
  args: unknown[];
  options: CallOptions;
  deferred: boolean;
}

/** A durable timer that resolves at `until` (absolute) or after `ms`. */
export interface TimerCommand {
  kind: "timer";
  ms?: number;
  until?: number;
  deferred: boolean;
}

/** A durable promise settled from outside (an HTTP handler, the CLI, the dashboard). */
export interface PromiseCommand {
  kind: "promise";
  timeout?: number;
  data?: unknown;
  tags?: Record<string, string>;
  id?: string;
}

export interface AwaitCommand {
  kind: "await";
  future: FutureRef;
}

export interface RaceCommand {
  kind: "race";
  futures: FutureRef[];
}

export interface PanicCommand {
  kind: "panic";
  message: string;
}

/** Whether this execution runs the code of patch `name` (recorded, outside the child-id sequence). */
export interface PatchCommand {
  kind: "patch";
  name: string;
}

export type Command = RunCommand | RpcCommand | TimerCommand | PromiseCommand | AwaitCommand | RaceCommand | PanicCommand | PatchCommand;

/** An opaque handle to a call started earlier in the same execution. */
export interface FutureRef {
  readonly id: string;
  /** Engine-private slot; identifies the future inside its execution. */
  readonly slot: number;
}

export const COMMAND = Symbol.for("reprise.command");

/** Wraps a command so the engine can tell it from anything else a generator might yield. */
export interface Yielded {
  [COMMAND]: Command;
}

export function isYielded(value: unknown): value is Yielded {
  return typeof value === "object" && value !== null && COMMAND in value;
}

/** `yield* command(x)` yields x to the engine and returns the engine's answer, typed. */
export function* command<T>(cmd: Command): Generator<Yielded, T, unknown> {
  return (yield { [COMMAND]: cmd }) as T;
}
