/**
 * ctx.race: which of several futures settled first. The winner is recorded as a promise of its
 * own, so every replay agrees, even one that runs after all of them have settled.
 */
import type { PromiseRecord } from "../protocol/records.js";
import type { LocalCall } from "./local-call.js";
import type { Strands } from "./strands.js";

/** A future of this execution: a call running here, or a durable promise. */
export type FutureState = { kind: "local"; id: string; call: LocalCall } | { kind: "durable"; id: string; record: PromiseRecord };

/**
 * The future that settled first, or -1. Durable promises carry their settle time, so a replay
 * after downtime still picks the one that really came first (a timer that fired before a late
 * signal wins, whatever their order in the list); a local call finished just now.
 */
export function firstSettled(states: readonly FutureState[], now: number): number {
  let winner = -1;
  let earliest = Number.POSITIVE_INFINITY;
  states.forEach((state, index) => {
    const at = settledAt(state, now);
    if (at !== undefined && at < earliest) {
      earliest = at;
      winner = index;
    }
  });
  return winner;
}

/**
 * Waits for the first local call among `states` to complete. Meanwhile the strand is blocked on
 * the pending durable ones: if no local call is left to complete, the execution suspends on them.
 */
export function firstToComplete(states: readonly FutureState[], strands: Strands): Promise<number> {
  const durable = states.flatMap((state) => (state.kind === "durable" ? [state.id] : []));
  return new Promise<number>((resolve) => {
    let won = false;
    states.forEach((state, index) => {
      if (state.kind !== "local") return;
      state.call.onComplete(() => {
        if (won) return;
        won = true;
        strands.start();
        strands.unblock(durable);
        resolve(index);
      });
    });
    strands.block(durable);
  });
}

function settledAt(state: FutureState, now: number): number | undefined {
  if (state.kind === "local") return state.call.result !== undefined ? now : undefined;
  return state.record.state !== "pending" ? (state.record.settledAt ?? now) : undefined;
}
