import type { PromiseState } from "../../../../protocol/records.js";

const LABELS: Record<PromiseState, string> = {
  pending: "pending",
  resolved: "resolved",
  rejected: "rejected",
  rejected_canceled: "canceled",
  rejected_timedout: "timed out",
};

export function StateBadge({ state }: { state: PromiseState }) {
  return (
    <span class={`badge state-${state}`} data-state={state} title={state}>
      {LABELS[state]}
    </span>
  );
}
