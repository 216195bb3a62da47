/** Per-call options, passed as the last argument: `ctx.run(step, a, b, ctx.options({ timeout: 5_000 }))`. */
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

export class Options {
  constructor(readonly values: CallOptions) {}
}

/** Splits trailing Options off an argument list. */
export function splitOptions(args: unknown[]): { args: unknown[]; options: CallOptions } {
  const last = args[args.length - 1];
  if (last instanceof Options) return { args: args.slice(0, -1), options: last.values };
  return { args, options: {} };
}
