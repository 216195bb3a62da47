/**
 * The reference-parity oracle under faults: every request our store applied (in commit order, at
 * the same time) and every tick is fed to @resonatehq/sdk's reference in-memory `Server`, as
 * test/store/reference-parity.test.ts does for random walks. Statuses must agree request by
 * request, and at the end every promise must hold the same state and value, every task the same
 * state and version.
 *
 * Reprise's extensions are translated into what the reference understands: a step recorded in one
 * write (`promise.create` carrying `result` inside a fence) becomes a fenced create and a fenced
 * settle. Our store times out every promise at its deadline, the reference only those that carry
 * a target (test/store/reference-walk.ts): Reprise's sleeps carry none, so the reference is told
 * each one's settlement at its deadline, before anything else happens at that time. Differences
 * that are ours on purpose are not compared: answers' shapes (preloads,
 * `expiresAt`), `task.search` pages, and when a task released again is re-delivered (ours backs
 * off); none of them changes a record.
 */
import type { PromiseRecord, TaskRecord } from "../src/protocol/records.js";
import type { Request, Response } from "../src/protocol/requests.js";
import { TAG } from "../src/protocol/tags.js";
import { action } from "../src/sdk/client.js";

interface ReferenceServer {
  apply(now: number, req: unknown): { response: { head: { status: number }; data: unknown } };
}

// Not in the package's exports map: loaded by path, as the parity test does.
const REFERENCE = new URL("../node_modules/@resonatehq/sdk/dist/src/network/local.js", import.meta.url).href;
const { Server } = (await import(REFERENCE)) as { Server: new () => ReferenceServer };

/** Kinds whose statuses are compared one by one (reads that page differ by design). */
const COMPARED = new Set(["promise.get", "promise.create", "promise.settle", "promise.register_callback", "promise.register_listener", "task.get", "task.create", "task.acquire", "task.release", "task.fulfill", "task.suspend", "task.fence", "task.heartbeat"]);

export class ParityOracle {
  private readonly reference = new Server();
  private readonly promiseIds = new Set<string>();
  private readonly taskIds = new Set<string>();
  /** Timers without a target the reference will not time out itself: id → deadline. */
  private readonly timers = new Map<string, number>();

  constructor(private readonly fail: (detail: string) => void) {}

  /** Our store applied `req` at `now` and answered `res`: the reference must answer alike. */
  applied(req: Request, res: Response, now: number): void {
    if (res.head.status === 400 || res.head.status >= 500) return;
    const answer = this.apply(now, req);
    if (res.head.status === 200) this.noteTimer(res);
    if (!COMPARED.has(req.kind) || answer.head.status === res.head.status) return;
    this.fail(`${req.kind} ${idOf(req)}: ours answered ${res.head.status}, the reference ${answer.head.status} ${JSON.stringify(answer.data)}`);
  }

  tick(now: number): void {
    this.converge(now);
    this.reference.apply(now, { kind: "debug.tick", head: { corrId: "tick", version: "" }, data: { time: now } });
  }

  /** Settles in the reference the timers due by `now`, as our store does. */
  private converge(now: number): void {
    for (const [id, deadline] of [...this.timers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (deadline > now) continue;
      this.timers.delete(id);
      this.reference.apply(now, action("promise.settle", { id, state: "resolved", value: {} }));
    }
  }

  /** At the end: the records, ours (read by `read`) against the reference's. */
  async finish(now: number, read: { promise(id: string): Promise<PromiseRecord | undefined>; task(id: string): Promise<TaskRecord | undefined> }): Promise<void> {
    for (const id of [...this.promiseIds].sort()) {
      const ours = await read.promise(id);
      const theirs = this.reference.apply(now, action("promise.get", { id })).response;
      const ref = theirs.head.status === 200 ? (theirs.data as { promise: PromiseRecord }).promise : undefined;
      if (!ours && !ref) continue;
      if (!ours || !ref || ours.state !== ref.state || (ours.value.data ?? "") !== (ref.value.data ?? "")) {
        this.fail(`promise ${id}: ours ${describe(ours)}, the reference ${describe(ref)}`);
      }
    }
    for (const id of [...this.taskIds].sort()) {
      const ours = await read.task(id);
      const theirs = this.reference.apply(now, action("task.get", { id })).response;
      const ref = theirs.head.status === 200 ? (theirs.data as { task: TaskRecord }).task : undefined;
      if (!ours && !ref) continue;
      if (!ours || !ref || ours.state !== ref.state || ours.version !== ref.version) {
        this.fail(`task ${id}: ours ${ours ? `${ours.state} v${ours.version}` : "absent"}, the reference ${ref ? `${ref.state} v${ref.version}` : "absent"}`);
      }
    }
  }

  /** Applies `req` (translated) to the reference; its answer. */
  private apply(now: number, req: Request): { head: { status: number }; data: unknown } {
    this.note(req);
    this.converge(now);
    if (req.kind === "task.fence" && req.data.action.kind === "promise.create" && req.data.action.data.result) {
      const { result, ...create } = req.data.action.data;
      const fence = (inner: Request) => ({ ...req, data: { ...req.data, action: inner } });
      const created = this.reference.apply(now, fence(action("promise.create", create))).response;
      if (created.head.status !== 200) return created;
      const inner = (created.data as { action: { head: { status: number }; data: { promise: PromiseRecord } } }).action;
      // Already recorded (a replay's repeat): the create answers the record, as ours does.
      if (inner.head.status === 200 && inner.data.promise.state === "pending") {
        this.reference.apply(now, fence(action("promise.settle", { id: create.id, state: result.state, value: result.value })));
      }
      return created;
    }
    return this.reference.apply(now, req).response;
  }

  private note(req: Request): void {
    const data = req.data as { id?: string; action?: { data: { id?: string } } };
    if (req.kind.startsWith("task.") && typeof data.id === "string") this.taskIds.add(data.id);
    if (req.kind.startsWith("promise.") && typeof data.id === "string") this.promiseIds.add(data.id);
    if (typeof data.action?.data.id === "string") this.promiseIds.add(data.action.data.id);
  }

  /** A timer our store created (its deadline as stored: a refused create's is not one). */
  private noteTimer(res: Response): void {
    const data = res.data as { promise?: PromiseRecord; action?: Response } | undefined;
    if (typeof data !== "object" || data === null) return;
    const inner = data.action && data.action.head.status === 200 ? (data.action.data as { promise?: PromiseRecord }) : undefined;
    const promise = data.promise ?? inner?.promise;
    if (promise?.state !== "pending" || promise.tags[TAG.timer] !== "true" || promise.tags[TAG.target] !== undefined) return;
    if (!this.timers.has(promise.id)) this.timers.set(promise.id, promise.timeoutAt);
  }
}

function idOf(req: Request): string {
  const data = req.data as { id?: string; action?: { data: { id?: string } } };
  return data.id ?? data.action?.data.id ?? "";
}

function describe(record: PromiseRecord | undefined): string {
  return record ? `${record.state} ${JSON.stringify(record.value.data ?? "")}` : "absent";
}
