/**
 * The last refused fenced write (task.fence / task.fulfill) of each task, kept so the operator
 * hears of it: logged once per task with the id and the field, and shown on the execution in the
 * dashboard (GET /api/executions/:id, `refusedWrite`). A worker whose write is refused releases
 * its task and tries again later (backing off), so the reason is seen again on each attempt; this
 * process remembers it, bounded, and a restarted server learns it again at the next attempt.
 */
import type { FastifyBaseLogger } from "fastify";

export interface RefusedWrite {
  /** `task.fence` or `task.fulfill`. */
  kind: string;
  /** The refused field, e.g. `data.action.data.value.data`. */
  field: string;
  message: string;
  /** When it was last refused (ms since the epoch). */
  at: number;
}

/** Tasks remembered at most; the oldest is forgotten first, so a flood of ids cannot grow it. */
export const MAX_REFUSED_TASKS = 10_000;

export class RefusedWrites {
  private readonly byTask = new Map<string, RefusedWrite>();

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records a refused request if it is a fenced write; logs the first refusal of each task. */
  note(body: unknown, field: string, message: string): void {
    const { kind, data } = (typeof body === "object" && body !== null ? body : {}) as { kind?: unknown; data?: { id?: unknown } };
    if ((kind !== "task.fence" && kind !== "task.fulfill") || typeof data?.id !== "string") return;
    const task = data.id;
    const known = this.byTask.delete(task);
    if (!known) {
      if (this.byTask.size >= MAX_REFUSED_TASKS) this.byTask.delete(this.byTask.keys().next().value!);
      this.log.warn({ task, kind, field }, `refused a fenced write of task ${JSON.stringify(task)}: ${message}`);
    }
    this.byTask.set(task, { kind, field, message, at: this.clock() });
  }

  /** The last refused write of `task`, if this process saw one. */
  of(task: string): RefusedWrite | undefined {
    return this.byTask.get(task);
  }
}
