/** How times and durations read on the page. */
import { formatDuration } from "../../../tree/render-tree.js";

export { formatDuration };

/** `14:03:27` today, `Mar 4 14:03` another day. */
export function formatTime(at: number | undefined, now: number): string {
  if (at === undefined) return "—";
  const date = new Date(at);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour12: false })
    : date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
}

/** `in 4.0s`, `4.0s ago`. */
export function relative(at: number, now: number): string {
  return at >= now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`;
}

export function fullTime(at: number | undefined): string {
  return at === undefined ? "" : new Date(at).toISOString();
}
