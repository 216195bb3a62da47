/**
 * `reprise check`: can this code be deployed while executions are in flight? Every pending
 * execution (and, with `all`, every finished one) is replayed from its recorded history against
 * the registered functions, with the engine in replay-only mode: no step runs, nothing is written.
 * An execution whose replay makes a different call than its history at some position would fail
 * with a DivergenceError after the deploy; the report names it, the position and both calls.
 */
import type { AnyFunction } from "../engine/commands.js";
import type { ChildSpec, Effects, Settled } from "../engine/effects.js";
import { Execution } from "../engine/execution.js";
import type { Outcome } from "../engine/outcome.js";
import { decodeCall } from "../protocol/calls.js";
import { decodeValue } from "../protocol/codec.js";
import { MAX_SEARCH_LIMIT } from "../protocol/limits.js";
import type { PromiseRecord } from "../protocol/records.js";
import type { Request, Response } from "../protocol/requests.js";
import { action } from "./client.js";
import { TAG } from "../protocol/tags.js";
import { registrationsOf, Reprise } from "./reprise.js";

/** What the check needs of a store or server: one protocol request at a time. */
export interface RequestSender {
  apply<R extends Request>(req: R): Promise<Response<R["kind"]>>;
}

export interface CheckOptions {
  /** The store (embedded) or server (HTTP transport) holding the executions. */
  store: RequestSender;
  /** The functions of the code to deploy, by registered name. */
  functions: ReadonlyMap<string, AnyFunction>;
  dependencies?: ReadonlyMap<string, unknown>;
  /** Replay finished executions too. */
  all?: boolean;
  /** How long one replay may take before it is reported as stuck. Default 10 s. */
  replayTimeoutMs?: number;
}

export interface Divergence {
  executionId: string;
  func: string;
  /** The id of the call where the histories part. */
  position: string;
  recorded: string;
  replayed: string;
  message: string;
}

export interface CheckReport {
  checked: number;
  clean: number;
  diverged: Divergence[];
  /** Executions not replayed: their function is not in the module, or the replay got stuck. */
  skipped: Array<{ executionId: string; reason: string }>;
}

/**
 * The check as a deploy step: `register` is the function the application calls to register its
 * workflows (and set dependencies); it is called on a Reprise instance of its own, which never
 * touches the checked store.
 */
export async function checkModule(options: { store: RequestSender; register: (reprise: Reprise) => unknown; all?: boolean }): Promise<CheckReport> {
  const reprise = new Reprise({ store: ":memory:", logLevel: "silent", determinism: "off" });
  try {
    await options.register(reprise);
    const { functions, dependencies } = registrationsOf(reprise);
    return await checkExecutions({ store: options.store, functions, dependencies, all: options.all });
  } finally {
    await reprise.stop();
  }
}

export async function checkExecutions(options: CheckOptions): Promise<CheckReport> {
  const report: CheckReport = { checked: 0, clean: 0, diverged: [], skipped: [] };
  for await (const root of executions(options.store, options.all === true)) {
    const { func: name, args } = decodeCall(root.param);
    const func = name === undefined ? undefined : options.functions.get(name);
    if (!func || name === undefined) {
      report.skipped.push({ executionId: root.id, reason: `function ${name ?? "(unknown)"} is not registered by the module` });
      continue;
    }
    report.checked++;
    const history = await historyOf(options.store, root.id);
    const execution = new Execution(
      { id: root.id, name, func, args, timeoutAt: root.timeoutAt },
      { effects: new HistoryEffects(root.id, history, options.store), group: "reprise-check", dependencies: options.dependencies, replayOnly: true },
    );
    const outcome = await withTimeout(execution.run(), options.replayTimeoutMs ?? 10_000);
    if (outcome === undefined) {
      report.skipped.push({ executionId: root.id, reason: "the replay did not finish (does the workflow await something other than ctx calls?)" });
      continue;
    }
    const divergence = divergenceIn(outcome);
    if (divergence) report.diverged.push({ executionId: root.id, func: name, ...divergence });
    else report.clean++;
  }
  return report;
}

// ---------------------------------------------------------------------------------------------

/** Answers the engine from the recorded history; a replay-only run never asks to write. */
class HistoryEffects implements Effects {
  private readonly prefix: string;

  constructor(
    rootId: string,
    private readonly history: Map<string, PromiseRecord>,
    private readonly store: RequestSender,
  ) {
    this.prefix = `${rootId}.`;
  }

  lookup(id: string): PromiseRecord | "absent" | undefined {
    return this.history.get(id) ?? (id.startsWith(this.prefix) ? "absent" : undefined);
  }

  async read(id: string): Promise<PromiseRecord | undefined> {
    const response = await this.store.apply(action("promise.get", { id }));
    return response.head.status === 200 ? (response.data as { promise: PromiseRecord }).promise : undefined;
  }

  create(spec: ChildSpec): Promise<PromiseRecord> {
    return refuseWrite(spec.id);
  }

  record(spec: ChildSpec, _result: Settled): Promise<PromiseRecord> {
    return refuseWrite(spec.id);
  }

  settle(id: string, _result: Settled): Promise<PromiseRecord> {
    return refuseWrite(id);
  }

  cancelChild(id: string): Promise<void> {
    return refuseWrite(id);
  }
}

function refuseWrite(id: string): Promise<never> {
  return Promise.reject(new Error(`reprise check writes nothing, but the replay tried to write ${id}`));
}

/** The executions to replay: roots of our SDK (pending ones, or all), page by page. */
async function* executions(store: RequestSender, all: boolean): AsyncGenerator<PromiseRecord> {
  const filter = { tags: { [TAG.kind]: "root" }, ...(all ? {} : { state: "pending" as const }) };
  yield* search(store, filter);
}

async function historyOf(store: RequestSender, rootId: string): Promise<Map<string, PromiseRecord>> {
  const history = new Map<string, PromiseRecord>();
  for await (const record of search(store, { id: `${rootId}.*` })) history.set(record.id, record);
  return history;
}

async function* search(store: RequestSender, filter: { id?: string; state?: "pending"; tags?: Record<string, string> }): AsyncGenerator<PromiseRecord> {
  let cursor: string | undefined;
  do {
    const response = await store.apply(action("promise.search", { ...filter, limit: MAX_SEARCH_LIMIT, ...(cursor ? { cursor } : {}) }));
    if (response.head.status !== 200) throw new Error(`promise.search failed with ${response.head.status}: ${String(response.data)}`);
    const page = response.data as { promises: PromiseRecord[]; cursor?: string };
    yield* page.promises;
    cursor = page.cursor;
  } while (cursor);
}

function divergenceIn(outcome: Outcome): Omit<Divergence, "executionId" | "func"> | undefined {
  if (outcome.type !== "completed" || outcome.state !== "rejected") return undefined;
  const error = decodeValue(outcome.value) as { name?: string; message?: string; position?: string; recorded?: string; replayed?: string } | undefined;
  if (error?.name !== "DivergenceError") return undefined;
  return { position: error.position ?? "?", recorded: error.recorded ?? "?", replayed: error.replayed ?? "?", message: error.message ?? "" };
}


function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
