/** How the CLI shows records: readable lines for people, or JSON (`--json`) for scripts. */
import type { PromiseRecord, ScheduleRecord, TaskRecord, Value } from "../protocol/records.js";
import { TAG } from "../protocol/tags.js";
import { decodePayload } from "../protocol/payload.js";
import { funcOf } from "../tree/build-tree.js";

export interface Output {
  json: boolean;
  /** Writes one line (or block) to stdout. */
  print(text: string): void;
}

export function consoleOutput(json: boolean): Output {
  return { json, print: (text) => process.stdout.write(`${text}\n`) };
}

/** Prints `data` as JSON in --json mode, else the human rendering. */
export function show(out: Output, data: unknown, human: () => string): void {
  out.print(out.json ? JSON.stringify(data, null, 2) : human());
}

export function describePromise(promise: PromiseRecord): string {
  const rows: [string, string | undefined][] = [
    ["id", promise.id],
    ["state", promise.state],
    ["func", funcOf(promise)],
    ["kind", promise.tags[TAG.kind]],
    ["created", time(promise.createdAt)],
    ["settled", promise.settledAt === undefined ? undefined : time(promise.settledAt)],
    ["timeout", time(promise.timeoutAt)],
    ["param", shown(promise.param)],
    ["value", shown(promise.value)],
    ["tags", Object.keys(promise.tags).length ? JSON.stringify(promise.tags) : undefined],
  ];
  return table(rows);
}

export function describeSchedule(schedule: ScheduleRecord): string {
  return table([
    ["id", schedule.id],
    ["cron", schedule.cron],
    ["promiseId", schedule.promiseId],
    ["func", funcOf({ tags: schedule.promiseTags, param: schedule.promiseParam })],
    ["next run", time(schedule.nextRunAt)],
    ["last run", schedule.lastRunAt === undefined ? undefined : time(schedule.lastRunAt)],
    ["tags", JSON.stringify(schedule.promiseTags)],
  ]);
}

/** One line per promise: id, state, func, created. */
export function listPromises(promises: PromiseRecord[]): string {
  if (promises.length === 0) return "no promises found";
  return columns(promises.map((p) => [p.id, p.state, funcOf(p) ?? "-", time(p.createdAt)]));
}

export function listSchedules(schedules: ScheduleRecord[]): string {
  if (schedules.length === 0) return "no schedules found";
  return columns(schedules.map((s) => [s.id, s.cron, funcOf({ tags: s.promiseTags, param: s.promiseParam }) ?? "-", `next ${time(s.nextRunAt)}`]));
}

export function listTasks(tasks: TaskRecord[]): string {
  if (tasks.length === 0) return "no tasks found";
  return columns(tasks.map((t) => [t.id, t.state, `v${t.version}`, t.pid ?? "-"]));
}

/** The decoded payload as one line of JSON; what cannot be rendered is shown raw, with why. */
function shown(value: Value): string | undefined {
  const decoded = decodePayload(value.data);
  if (decoded === undefined) return undefined;
  if (decoded.ok) return JSON.stringify(decoded.value);
  return decoded.raw === value.data ? `(${value.data.length} base64 characters, ${decoded.note})` : `(shown raw: ${decoded.note}) ${decoded.raw}`;
}

/** Later than any Date can hold, as an "infinite" timeout is. */
const MAX_DATE_MS = 8.64e15;

function time(ms: number): string {
  return ms > MAX_DATE_MS ? "never" : new Date(ms).toISOString();
}

function table(rows: [string, string | undefined][]): string {
  const present = rows.filter((row): row is [string, string] => row[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}

/** Rows as aligned columns, two spaces apart (the last column unpadded). */
export function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}
