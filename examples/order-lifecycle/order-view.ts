/**
 * An order's state and history, derived from its promise tree alone — there is no status column
 * to read. The waiting promises (`order-<id>.in-<state>`) say which states the order entered and
 * when, what each accepted and which event moved it on; the root promise says how it ended.
 */
import type { DurablePromiseView } from "../../src/index.js";
import { orderId, type EventRequest, type OrderEvent, type OrderOutcome, type OrderState, type Waiting } from "./order-lifecycle.js";

export interface HistoryEntry {
  state: OrderState;
  enteredAt: number;
  /** The event that moved the order on, and when it was accepted. */
  leftBy?: OrderEvent;
  leftAt?: number;
}

export interface OrderView {
  orderId: string;
  state: OrderState;
  /** What the order accepts now; empty while a transition runs and once it is closed. */
  accepts: OrderEvent[];
  /** An event accepted whose transition (its side effects) has not finished yet. */
  transitioning?: OrderEvent;
  closed: boolean;
  /** Set when the order stopped on an error (a panic) instead of a final state. */
  error?: string;
  history: HistoryEntry[];
}

/** Builds the view from every promise whose id starts with `order-<id>`. */
export function deriveOrderView(id: string, promises: DurablePromiseView[]): OrderView {
  const root = promises.find((p) => p.id === orderId(id));
  if (!root) throw new Error(`no promise ${orderId(id)} among the order's promises`);
  const waits = promises.filter((p) => p.id.startsWith(`${orderId(id)}.in-`)).sort((a, b) => a.createdAt - b.createdAt);

  const history: HistoryEntry[] = waits.map((wait) => {
    const { state } = wait.param as Waiting;
    const entry: HistoryEntry = { state, enteredAt: wait.createdAt };
    if (wait.state === "resolved") Object.assign(entry, { leftBy: (wait.value as EventRequest).event, leftAt: wait.settledAt });
    return entry;
  });
  const last = waits.at(-1);

  if (root.state === "resolved") {
    const final = (root.value as OrderOutcome).state;
    if (history.at(-1)?.state !== final) history.push({ state: final, enteredAt: root.settledAt ?? root.createdAt });
    // The window closed on a refundable state: the wait that was never answered is not a transition.
    return { orderId: id, state: final, accepts: [], closed: true, history };
  }
  if (root.state !== "pending") {
    const error = (root.value as { message?: string } | undefined)?.message ?? root.state;
    return { orderId: id, state: history.at(-1)?.state ?? "created", accepts: [], closed: true, error, history };
  }
  if (!last) return { orderId: id, state: "created", accepts: [], closed: false, history: [{ state: "created", enteredAt: root.createdAt }] };
  if (last.state === "pending") return { orderId: id, state: (last.param as Waiting).state, accepts: (last.param as Waiting).accepts, closed: false, history };
  return { orderId: id, state: (last.param as Waiting).state, accepts: [], transitioning: (last.value as EventRequest).event, closed: false, history };
}
