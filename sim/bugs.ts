/**
 * Planted bugs, for the tests that prove each invariant can fail: every one is a wrapper the
 * simulator owns around a real part (the backend, the store, the ticker, the transport), never a
 * change to src/. Each names the invariant it must trip.
 */
import type { Backend, Tx } from "../src/store/backend.js";
import { decodeValue, encodeValue } from "../src/protocol/codec.js";
import type { PromiseRecord } from "../src/protocol/records.js";
import type { Request, Response } from "../src/protocol/requests.js";
import { TAG } from "../src/protocol/tags.js";
import { MemoryTables } from "../src/store/memory/tables.js";
import { MemoryTx } from "../src/store/memory/memory-tx.js";
import { Mutex } from "../src/store/memory/mutex.js";
import type { Store } from "../src/store/store.js";
import type { Invariant } from "./invariants.js";
import type { PlantedBugs } from "./simulation.js";
import type { StoreReader } from "./store-node.js";

export interface PlantedBug {
  invariant: Invariant;
  description: string;
  bugs: PlantedBugs;
}

/** A store without the lease fence: a fenced write is applied whoever holds the task, and answered as if fenced. */
function skipLeaseFence(store: Store): Store {
  return withApply(store, async (req, now) => {
    if (req.kind !== "task.fence") return store.apply(req, now);
    const inner = await store.apply(req.data.action, now);
    return { kind: req.kind, head: { corrId: req.head.corrId, status: 200, version: req.head.version }, data: { action: inner, preload: [] } } as Response;
  });
}

/** A store whose acquire takes a task from a live holder, as if that holder were dead. */
function stealLiveLeases(store: Store, read: StoreReader): Store {
  return withApply(store, async (req, now) => {
    if (req.kind !== "task.acquire") return store.apply(req, now);
    const row = await read.task(req.data.id);
    if (row?.state !== "acquired" || row.pid === undefined || row.pid === req.data.pid) return store.apply(req, now);
    return store.apply({ ...req, data: { ...req.data, version: row.version, holder: row.pid } }, now);
  });
}

/** A store whose heartbeat refuses the whole batch when one lease in it is gone (the protocol says: ignore it). */
function heartbeatRefusesLostLeases(store: Store, read: StoreReader): Store {
  return withApply(store, async (req, now) => {
    if (req.kind !== "task.heartbeat") return store.apply(req, now);
    for (const ref of req.data.tasks) {
      const row = await read.task(ref.id);
      if (row?.state !== "acquired" || row.version !== ref.version || row.pid !== req.data.pid) {
        return { kind: req.kind, head: { corrId: req.head.corrId, status: 409, version: req.head.version }, data: "Lease lost" } as Response;
      }
    }
    return store.apply(req, now);
  });
}

function withApply(store: Store, apply: (req: Request, now?: number) => Promise<Response>): Store {
  return {
    apply: apply as Store["apply"],
    applyBatch: (reqs, now) => Promise.all(reqs.map((req) => apply(req, now))),
    tick: (now) => store.tick(now),
    nextDeadline: () => store.nextDeadline(),
    onMessage: (listener) => store.onMessage(listener),
    close: () => store.close(),
  };
}

/**
 * A memory backend that acknowledges a transaction before it is durable: it makes a batch durable
 * only every few transactions (a "flush"), and a crash loses everything since the last one.
 */
class VolatileMemoryBackend implements Backend {
  private readonly tables = new MemoryTables();
  private readonly mutex = new Mutex();
  private open = false;
  private sinceFlush = 0;

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      if (!this.open) {
        this.tables.begin();
        this.open = true;
      }
      try {
        const result = await work(new MemoryTx(this.tables));
        if (++this.sinceFlush >= 16) this.flush();
        return result;
      } catch (error) {
        this.loseUnflushed();
        throw error;
      }
    });
  }

  loseUnflushed(): void {
    if (this.open) this.tables.rollback();
    this.open = false;
    this.sinceFlush = 0;
  }

  private flush(): void {
    this.tables.commit();
    this.open = false;
    this.sinceFlush = 0;
  }

  async close(): Promise<void> {}
}

/**
 * A backend that loses sight of recorded steps (a broken index): reads miss settled step rows, and
 * an insert over one overwrites it, so a step run again is recorded again with its new value.
 */
function forgetRecordedSteps(backend: Backend): Backend {
  const hidden = (p: PromiseRecord | undefined) => p !== undefined && p.tags[TAG.kind] === "step" && p.state !== "pending";
  return {
    transaction: (work) =>
      backend.transaction((tx) =>
        work(
          Object.assign(Object.create(tx) as Tx, {
            getPromise: async (id: string) => {
              const row = await tx.getPromise(id);
              return hidden(row) ? undefined : row;
            },
            getPromises: async (ids: readonly string[]) => (await tx.getPromises(ids)).filter((row) => !hidden(row)),
            promisesUnder: async (prefix: string, limit: number, after?: string) => (await tx.promisesUnder(prefix, limit, after)).filter((row) => !hidden(row)),
            insertPromise: async (promise: PromiseRecord) => ((await tx.getPromise(promise.id)) ? tx.updatePromise(promise) : tx.insertPromise(promise)),
          }),
        ),
      ),
    close: () => backend.close(),
  };
}

/** Answers with the history a worker replays from rewritten by `rewrite` (a faulty codec or cache); undefined drops a record. */
function rewritePreload(rewrite: (record: PromiseRecord) => PromiseRecord | undefined): PlantedBugs["rewriteAnswer"] {
  return (req, res) => {
    const data = res.data as { preload?: PromiseRecord[] } | undefined;
    if (!data || typeof data !== "object" || !Array.isArray(data.preload)) return res;
    if (req.kind !== "task.acquire" && req.kind !== "task.create" && req.kind !== "task.suspend") return res;
    return { ...res, data: { ...data, preload: data.preload.map(rewrite).filter((record) => record !== undefined) } } as Response;
  };
}

function decoded(record: PromiseRecord): unknown {
  try {
    return decodeValue(record.value);
  } catch {
    return undefined;
  }
}

export const PLANTED_BUGS: Record<string, PlantedBug> = {
  "no-ticks": {
    invariant: "liveness",
    description: "the ticker stops: timers never fire and expired leases are never released",
    bugs: { store: { tickTime: () => undefined } },
  },
  "corrupt-replayed-numbers": {
    invariant: "same-result",
    description: "a replayed step's number comes back one higher (a faulty codec on the preload path)",
    bugs: {
      rewriteAnswer: rewritePreload((record) => {
        const value = decoded(record);
        return record.state === "resolved" && typeof value === "number" ? { ...record, value: encodeValue(value + 1) } : record;
      }),
    },
  },
  "forget-recorded-steps": {
    invariant: "recorded-once",
    description: "the backend misses recorded step rows on read and overwrites them on insert",
    bugs: { store: { wrapBackend: forgetRecordedSteps } },
  },
  "corrupt-replayed-effects": {
    invariant: "used-recorded-value",
    description: "a replayed effect step's value is rewritten on its way to the worker",
    bugs: {
      rewriteAnswer: rewritePreload((record) => {
        const value = decoded(record);
        return typeof value === "string" && /#\d+$/.test(value) ? { ...record, value: encodeValue(`${record.id}#99`) } : record;
      }),
    },
  },
  "steal-live-leases": {
    invariant: "single-lease",
    description: "an acquire takes a task from a holder whose lease is still live",
    bugs: { store: { wrapStore: stealLiveLeases } },
  },
  "skip-lease-fence": {
    invariant: "stale-write-refused",
    description: "task.fence does not check the lease: a stale holder's write is accepted",
    bugs: { store: { wrapStore: skipLeaseFence } },
  },
  "ack-before-durable": {
    invariant: "acked-write-survives",
    description: "the backend acknowledges commits it makes durable only every 16 transactions",
    bugs: { store: { volatileBackend: () => new VolatileMemoryBackend() } },
  },
  "ticker-runs-ahead": {
    invariant: "timer-not-early",
    description: "the ticker fires what is due 3 s from now",
    bugs: { store: { tickTime: (now) => now + 3_000 } },
  },
  "ticker-runs-behind": {
    invariant: "timer-fires",
    description: "the ticker fires only what was due 2 s ago",
    bugs: { store: { tickTime: (now) => now - 2_000 } },
  },
  "heartbeat-refuses-lost-leases": {
    invariant: "parity",
    description: "task.heartbeat answers 409 when one of its leases is gone, where the reference ignores that task",
    bugs: { store: { wrapStore: heartbeatRefusesLostLeases } },
  },
  "strip-preload": {
    invariant: "effect-reruns",
    description: "acquire answers arrive without the recorded history, so recorded steps run again",
    bugs: { rewriteAnswer: rewritePreload(() => undefined) },
  },
};
