/**
 * The store's process in the simulation: the real ProtocolStore (kernel) over the real memory or
 * SQLite backend. Requests that reach it wait in an inbox until the next commit, a few virtual ms
 * later, and are then applied together (the kernel's group commit batches them); a crash before
 * that commit loses them, unanswered, while what was committed stays. A tick runs at the store's
 * next deadline, as the Ticker schedules it (src/store/ticker.ts sleeps until `nextDeadline()`),
 * but on the simulated clock.
 */
import type { Envelope } from "../src/protocol/messages.js";
import type { PromiseRecord, TaskRecord } from "../src/protocol/records.js";
import { STATUS, type Request, type Response } from "../src/protocol/requests.js";
import type { Backend } from "../src/store/backend.js";
import { ProtocolStore } from "../src/store/kernel/protocol-store.js";
import { MemoryBackend } from "../src/store/memory/memory-backend.js";
import { openSqliteBackend } from "../src/store/sqlite/sqlite-backend.js";
import type { Store } from "../src/store/store.js";

export type BackendKind = "memory" | "sqlite";

/** How the store node may be made faulty (planted bugs; see bugs.ts). */
export interface StoreFaults {
  /** Wraps the backend the kernel writes through (a faulty backend). */
  wrapBackend?: (backend: Backend) => Backend;
  /** A backend that keeps acknowledged work in a volatile buffer: a crash loses it. */
  volatileBackend?: () => Backend & { loseUnflushed(): void };
  /** Wraps the store the requests reach (a faulty kernel rule). */
  wrapStore?: (store: Store, read: StoreReader) => Store;
  /** The time a tick is run for, given the true time (a faulty ticker). */
  tickTime?: (now: number) => number | undefined;
}

export interface StoreReader {
  promise(id: string): Promise<PromiseRecord | undefined>;
  task(id: string): Promise<TaskRecord | undefined>;
}

export interface StoreNodeHooks {
  now(): number;
  /** Schedules work on the store's side at a virtual time. */
  at(time: number, run: () => void | Promise<void>): void;
  /** A committed message, to route to workers. */
  message(envelope: Envelope): void;
  /** Every request the store applied, with its answer: what the invariants watch. */
  applied(req: Request, res: Response, from: string): Promise<void>;
  /** After every commit or tick: timers are checked here. */
  afterWork(kind: "commit" | "tick"): Promise<void>;
  /** The store ticked for time `at`. */
  ticked(at: number): void;
  trace(text: string): void;
  /** The commit delay, in virtual ms. */
  commitDelay(): number;
}

interface Received {
  req: Request;
  from: string;
  reply: (res: Response) => void;
}

export class StoreNode implements StoreReader {
  up = true;
  private backend!: Backend;
  private volatile: (Backend & { loseUnflushed(): void }) | undefined;
  private store!: Store;
  private unsubscribe: (() => void) | undefined;
  private inbox: Received[] = [];
  private commitScheduled = false;
  private tickAt = Number.POSITIVE_INFINITY;
  private lastTick = Number.NEGATIVE_INFINITY;
  /** Bumped by a crash: a commit or tick scheduled before it belongs to the dead process. */
  private life = 0;

  constructor(
    private readonly kind: BackendKind,
    private readonly hooks: StoreNodeHooks,
    private readonly faults: StoreFaults = {},
    private readonly sqlitePath?: string,
  ) {}

  async start(): Promise<void> {
    if (this.kind === "sqlite") {
      if (!this.sqlitePath) throw new Error("sqlite store node needs a path");
      this.backend = openSqliteBackend(this.sqlitePath, { durability: "process-crash" });
    } else if (!this.backend) {
      this.volatile = this.faults.volatileBackend?.();
      this.backend = this.volatile ?? new MemoryBackend();
    }
    // The memory backend outlives the store process: its tables are what was committed.
    this.open();
    await this.scheduleTick();
  }

  private open(): void {
    const backend = this.faults.wrapBackend ? this.faults.wrapBackend(this.backend) : this.backend;
    const kernel = new ProtocolStore(backend, { clock: () => this.hooks.now() });
    this.store = this.faults.wrapStore ? this.faults.wrapStore(kernel, this) : kernel;
    this.unsubscribe = this.store.onMessage((envelope) => this.hooks.message(envelope));
  }

  /** A request arrives; applied at the next commit unless the store dies first. */
  receive(req: Request, from: string, reply: (res: Response) => void): void {
    if (!this.up) {
      this.hooks.trace(`store down: ${describeRequest(req)} from ${from} lost`);
      return;
    }
    this.inbox.push({ req, from, reply });
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    const life = this.life;
    this.hooks.at(this.hooks.now() + this.hooks.commitDelay(), () => (life === this.life ? this.commit() : undefined));
  }

  private async commit(): Promise<void> {
    this.commitScheduled = false;
    const batch = this.inbox.splice(0);
    if (batch.length === 0) return;
    const now = this.hooks.now();
    const answers = await Promise.all(batch.map(({ req }) => this.store.apply(req, now).catch((error: unknown) => internalError(req, error))));
    this.hooks.trace(`commit ${batch.length} request(s)`);
    for (let i = 0; i < batch.length; i++) {
      const { req, from, reply } = batch[i]!;
      const res = answers[i]!;
      this.hooks.trace(`  ${describeRequest(req)} from ${from} -> ${describeResponse(res)}`);
      await this.hooks.applied(req, res, from);
      reply(res);
    }
    await this.hooks.afterWork("commit");
    await this.scheduleTick();
  }

  /** The next tick, at the store's next deadline (as the Ticker does, on virtual time). */
  private async scheduleTick(): Promise<void> {
    if (!this.up) return;
    const next = await this.store.nextDeadline();
    if (next === undefined || next >= this.tickAt) return;
    this.tickAt = next;
    const life = this.life;
    // At most one tick per virtual ms: a deadline a tick left due is not retried in a spin.
    this.hooks.at(Math.max(next, this.hooks.now(), this.lastTick + 1), async () => {
      if (life !== this.life || this.tickAt !== next) return;
      this.tickAt = Number.POSITIVE_INFINITY;
      await this.tick();
    });
  }

  private async tick(): Promise<void> {
    const now = this.hooks.now();
    this.lastTick = now;
    const at = this.faults.tickTime ? this.faults.tickTime(now) : now;
    // A planted bug may stop the ticker for good.
    if (at === undefined) return;
    const changed = await this.store.tick(at);
    this.hooks.ticked(at);
    if (changed > 0) this.hooks.trace(`tick${at === now ? "" : ` (for ${at - now} ms ahead)`}: ${changed} record(s) changed`);
    await this.hooks.afterWork("tick");
    await this.scheduleTick();
  }

  /** The store process dies: the inbox (received, not committed) is lost; committed rows stay. */
  async crash(): Promise<void> {
    this.up = false;
    this.life++;
    this.commitScheduled = false;
    this.tickAt = Number.POSITIVE_INFINITY;
    const lost = this.inbox.splice(0);
    this.hooks.trace(`store crashed; ${lost.length} uncommitted request(s) lost`);
    this.unsubscribe?.();
    this.volatile?.loseUnflushed();
    // SQLite: the file is what survives; the memory backend's tables are kept as they are.
    if (this.kind === "sqlite") await this.backend.close();
  }

  async restart(): Promise<void> {
    this.up = true;
    this.hooks.trace("store restarted");
    if (this.kind === "sqlite") await this.start();
    else {
      this.open();
      await this.scheduleTick();
    }
  }

  /** Applies a request from outside the network (the world settling a promise). */
  async applyDirect(req: Request, from: string): Promise<Response | undefined> {
    if (!this.up) return undefined;
    const res = await this.store.apply(req, this.hooks.now());
    this.hooks.trace(`${describeRequest(req)} from ${from} -> ${describeResponse(res)}`);
    await this.hooks.applied(req, res, from);
    await this.hooks.afterWork("commit");
    await this.scheduleTick();
    return res;
  }

  /** Reads a row as it is stored, without the protocol (a read through it may change state). */
  promise(id: string): Promise<PromiseRecord | undefined> {
    return this.backend.transaction((tx) => tx.getPromise(id));
  }

  task(id: string): Promise<TaskRecord | undefined> {
    return this.backend.transaction((tx) => tx.getTask(id));
  }

  async close(): Promise<void> {
    this.up = false;
    this.life++;
    this.unsubscribe?.();
    await this.backend.close().catch(() => undefined);
  }
}

function internalError(req: Request, error: unknown): Response {
  return { kind: req.kind, head: { corrId: req.head.corrId, status: STATUS.internal, version: req.head.version }, data: String(error) } as unknown as Response;
}

/** `task.fence e3 v2 (promise.create e3.1)`: what a trace line shows of a request. */
export function describeRequest(req: Request): string {
  const data = req.data as Record<string, unknown>;
  const inner = data.action as { kind: string; data: { id?: string; result?: unknown } } | undefined;
  const id = (data.id ?? data.awaited ?? inner?.data.id ?? "") as string;
  const version = typeof data.version === "number" ? ` v${data.version}` : "";
  const nested = inner ? ` (${inner.kind} ${inner.data.id ?? ""}${inner.data.result ? " with result" : ""})` : "";
  const tasks = Array.isArray(data.tasks) ? ` [${(data.tasks as Array<{ id: string; version: number }>).map((t) => `${t.id} v${t.version}`).join(", ")}]` : "";
  return `${req.kind}${id ? ` ${id}` : ""}${version}${nested}${tasks}`;
}

export function describeResponse(res: Response): string {
  const data = res.data as { task?: TaskRecord; promise?: PromiseRecord; action?: Response } | string;
  if (typeof data !== "object" || data === null) return `${res.head.status}`;
  const task = data.task ? ` task ${data.task.state} v${data.task.version}${data.task.pid ? ` by ${data.task.pid}` : ""}` : "";
  const promise = data.promise ? ` promise ${data.promise.state}` : "";
  const inner = data.action ? ` (${data.action.head.status})` : "";
  return `${res.head.status}${task}${promise}${inner}`;
}
