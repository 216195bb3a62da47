/** Per-call options, passed as the last argument: `ctx.run(step, a, b, ctx.options({ timeout: 5_000 }))`. */
import { TAG } from "../protocol/tags.js";
import { InvalidArgumentError } from "./errors.js";
import type { RetryPolicy } from "./retry.js";

export interface CallOptions {
  /** Use this id instead of the derived `${parentId}.${n}`. */
  id?: string;
  /** Milliseconds until the call's durable promise times out (capped by the parent's deadline). */
  timeout?: number;
  retryPolicy?: RetryPolicy;
  /** Errors (classes, or error names) that fail the step at once, without retries. */
  nonRetryableErrors?: Array<string | (new (...args: never[]) => Error)>;
  /** Where a remote call runs: a group name (`workers`) or an address (`poll://any@workers`). */
  target?: string;
  /** Extra tags on the call's durable promise. */
  tags?: Record<string, string>;
  /**
   * Flow control (docs/flow-control.md): this execution's priority among queued ones (higher
   * first), instead of its function's.
   */
  priority?: number;
  /** Flow control: this execution's flow key, instead of the one its function's key function computes. */
  flowKey?: string;
}

/**
 * Flow control's tags for an execution a call starts (docs/flow-control.md): its flow key (the
 * call's, else the one its function's key function computed) and its priority, when named.
 */
export function flowTags(options: CallOptions, computedKey?: string): Record<string, string> {
  const key = options.flowKey ?? computedKey;
  const tags: Record<string, string> = {};
  if (key !== undefined) tags[TAG.flow] = key;
  if (options.priority !== undefined) {
    if (!Number.isSafeInteger(options.priority)) throw new InvalidArgumentError(`priority: expected a whole number, got ${String(options.priority)}`);
    tags[TAG.priority] = String(options.priority);
  }
  return tags;
}

export class Options {
  constructor(readonly values: CallOptions) {}
}

/** Splits trailing Options off an argument list. */
export function splitOptions(args: unknown[]): { args: unknown[]; options: CallOptions } {
  const last = args[args.length - 1];
  if (last instanceof Options) return { args: args.slice(0, -1), options: last.values };
  return { args, options: {} };
}
