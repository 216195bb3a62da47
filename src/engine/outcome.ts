import type { Value } from "../protocol/records.js";

/** How one run of an execution ended. */
export type Outcome =
  /** The root returned or threw (or panicked, or diverged): settle the root promise with `value`. */
  /** rejected_canceled: the execution's cancellation reached its body (cancellation.ts). */
  | { type: "completed"; state: "resolved" | "rejected" | "rejected_canceled"; value: Value }
  /** Nothing more can happen until one of `awaiting` settles: suspend the task on them. */
  | { type: "suspended"; awaiting: string[] }
  /** The lease was lost to another process: drop the work, record nothing. */
  | { type: "abandoned"; reason: string }
  /** A replay-only run (`reprise check`) reached the first call with no record: nothing ran. */
  | { type: "caught-up"; position: string };
