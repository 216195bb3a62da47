/** The caller's view of an execution: its id, and its result once the root promise settles. */
import { asCancelledError, PromiseRejectedError } from "../engine/errors.js";
import { decodeValue } from "../protocol/codec.js";
import { decodeQuietly } from "../engine/replay.js";
import { rejectionOf } from "../protocol/outcomes.js";
import type { PromiseRecord } from "../protocol/records.js";

export interface Handle<T> {
  readonly id: string;
  /** Resolves with the execution's return value; rejects with what it threw (a Panic, a step's error…). */
  result(): Promise<T>;
  /** Whether the execution has finished, without waiting. */
  done(): Promise<boolean>;
}

/** What a settled durable promise means to a caller: a value, or an error to throw. */
export function outcomeOf<T>(record: PromiseRecord): T {
  switch (record.state) {
    case "resolved":
      return decodeValue(record.value) as T;
    case "rejected": {
      const error = decodeValue(record.value);
      if (error instanceof Error) throw error;
      return rejected(record, error);
    }
    case "rejected_canceled": {
      // An execution cancelled by reprise.cancel holds its CancelledError; a promise cancelled by hand, nothing.
      const cancelled = asCancelledError(decodeQuietly(record.value));
      if (cancelled) throw cancelled;
      return rejected(record);
    }
    case "rejected_timedout":
      return rejected(record);
    case "pending":
      throw new Error(`${record.id} is still pending`);
  }
}

function rejected(record: PromiseRecord, value?: unknown): never {
  const { code, name, message } = rejectionOf(record, value)!;
  throw new PromiseRejectedError(code, name, message);
}
