/**
 * W1's requests straight to the store, without the engine, in its own process:
 *   node --import tsx bench/store-alone.ts --sync FULL|NORMAL --workflows 500 --steps 10 --runs 3 --budget-ms 120000
 * What an embedded Reprise sends the store for W1, as it sends it (a `task.create` per workflow,
 * which creates and acquires its root; a fenced `promise.create` with its result per step, each
 * step's request sent once the previous one is answered; a `task.fulfill` settling the root),
 * applied with `store.apply` on a fresh SQLite file each round. The step records and the fulfilment
 * are marked validated, as the SDK marks them (sdk/checked-writes.ts); the `task.create` a run
 * sends is validated by the store, as the SDK's is. Beside the embedded W1 row it
 * splits a step's cost: what the store takes, and (the difference) what the engine, the SDK and
 * the encoding of values take. Prints `BENCH {"type":"result","rounds":[…]}`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeCall } from "../src/protocol/calls.js";
import { encodeValue } from "../src/protocol/codec.js";
import { DEFAULT_LIMITS } from "../src/protocol/limits.js";
import { ATTEMPTS_HEADER } from "../src/protocol/outcomes.js";
import { action, PROTOCOL_VERSION, type Request, type RequestKind, type RequestOf } from "../src/protocol/requests.js";
import { ADDRESS, TAG } from "../src/protocol/tags.js";
import { markValidated } from "../src/protocol/validation.js";
import { openSqliteBackend } from "../src/store/sqlite/sqlite-backend.js";
import { ProtocolStore } from "../src/store/kernel/protocol-store.js";
import type { Store } from "../src/store/store.js";
import { childMain, emit, flag } from "./lib/child.js";
import { measureRounds, warmUpFrom, type RoundFigures, type Sync, type Workload } from "./lib/workload.js";

const DAY_MS = 86_400_000;
const PID = "embedded:bench:0:0";
/** Correlation ids, as a client numbers its requests. */
let sent = 0;

childMain(async () => {
  const sync = flag("sync", "FULL") as Sync;
  const workload: Workload = { workflows: Number(flag("workflows", "500")), steps: Number(flag("steps", "10")) };
  const runs = Number(flag("runs", "3"));
  const budgetMs = Number(flag("budget-ms", "120000"));
  const { rounds, warmUpRounds } = await measureRounds(warmUpFrom(flag), runs, budgetMs, async (round) => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-bench-store-"));
    const store = new ProtocolStore(openSqliteBackend(join(dir, "bench.db"), { durability: sync === "FULL" ? "power-loss" : "process-crash" }));
    try {
      return await runRequests(store, workload, `w-${round}`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  emit("result", { rounds, warmUpRounds });
  process.exit(0);
});

async function runRequests(store: Store, workload: Workload, idPrefix: string): Promise<RoundFigures> {
  const startedAt = Date.now();
  const started = performance.now();
  await Promise.all(Array.from({ length: workload.workflows }, (_, i) => oneWorkflow(store, `${idPrefix}-${i}`, workload.steps)));
  const seconds = (performance.now() - started) / 1000;
  const steps = workload.workflows * workload.steps;
  return { seconds, steps, stepsPerSecond: steps / seconds, startedAt, endedAt: Date.now() };
}

/** The requests of one `sequential` execution, each built as the SDK builds it (sdk/task-effects.ts). */
async function oneWorkflow(store: Store, id: string, steps: number): Promise<void> {
  const timeoutAt = Date.now() + DAY_MS;
  await expectOk(store, "task.create", {
    pid: PID,
    ttl: 15_000,
    action: action("promise.create", {
      id,
      timeoutAt,
      param: encodeCall("sequential", [steps]),
      tags: {
        [TAG.target]: ADDRESS.anycast("default"),
        [TAG.scope]: "global",
        [TAG.origin]: id,
        [TAG.branch]: id,
        [TAG.parent]: id,
        [TAG.kind]: "root",
        [TAG.func]: "sequential",
      },
    }),
  });
  let sum = 0;
  for (let step = 0; step < steps; step++) {
    const startedAt = Date.now();
    const value = encodeValue(step);
    await expectOk(store, "task.fence", {
      id,
      version: 1,
      action: action("promise.create", {
        id: `${id}.${step + 1}`,
        timeoutAt,
        param: encodeCall("noop", [step]),
        tags: { [TAG.kind]: "step", [TAG.func]: "noop", [TAG.parent]: id, [TAG.origin]: id, [TAG.branch]: id },
        result: { state: "resolved", value: { ...value, headers: { [ATTEMPTS_HEADER]: "1" } }, startedAt },
      }),
    });
    sum += step;
  }
  await expectOk(store, "task.fulfill", { id, version: 1, action: action("promise.settle", { id, state: "resolved", value: encodeValue(sum) }) });
}

async function expectOk<K extends RequestKind>(store: Store, kind: K, data: RequestOf<K>["data"]): Promise<void> {
  const req = { kind, head: { corrId: `bench-${++sent}`, version: PROTOCOL_VERSION }, data } as Request;
  if (kind === "task.fence" || kind === "task.fulfill") markValidated(req, DEFAULT_LIMITS.maxValueBytes);
  const response = await store.apply(req);
  // A fence answers 200 when the task is held; the write it carries has an answer of its own.
  const inner = kind === "task.fence" ? (response.data as { action?: { head: { status: number } } }).action?.head.status : 200;
  if (response.head.status !== 200 || inner !== 200) throw new Error(`${kind} answered ${response.head.status}: ${JSON.stringify(response.data)}`);
}
