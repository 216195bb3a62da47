/**
 * What a settled promise's state means to a reader, named once for the engine (replay), the SDK
 * (a handle's result) and the readers (dashboard, tree). Browser-safe: no Node-only APIs and no
 * engine types, so each layer builds its own error from the same code, name and message.
 */
import type { PromiseRecord, Value } from "./records.js";

/** The settle header in which the SDK records how many times a step ran before its result was stored. */
export const ATTEMPTS_HEADER = "reprise:attempts";

/** The number in the `reprise:attempts` header, if the value carries a valid one. */
export function attemptsOf(value: Value): number | undefined {
  const header = value.headers?.[ATTEMPTS_HEADER];
  if (header === undefined) return undefined;
  const attempts = Number(header);
  return Number.isInteger(attempts) && attempts > 0 ? attempts : undefined;
}

/** The error a rejected promise stands for when its value is not an error: Resonate's codes. */
export interface Rejection {
  code: string;
  name: string;
  message: string;
}

/**
 * The rejection a settled, non-resolved promise stands for: canceled (52), timed out (53), or
 * rejected (51), used when a rejected value does not decode to an error of its own. `value` is
 * that decoded value, named in the message when there is one.
 */
export function rejectionOf(record: Pick<PromiseRecord, "id" | "state" | "timeoutAt">, value?: unknown): Rejection | undefined {
  switch (record.state) {
    case "rejected":
      return { code: "51", name: "Rejected", message: `${record.id} was rejected${value === undefined ? "" : `: ${JSON.stringify(value)}`}` };
    case "rejected_canceled":
      return { code: "52", name: "Canceled", message: `${record.id} was canceled` };
    case "rejected_timedout":
      return { code: "53", name: "Timeout", message: `${record.id} timed out at ${new Date(record.timeoutAt).toISOString()}` };
    default:
      return undefined;
  }
}
