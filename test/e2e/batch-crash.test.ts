/**
 * Batches under SIGKILL, with real processes: a server on SQLite, then on PostgreSQL (where a
 * batch whose rows the server knows commits speculatively, in one statement), whose store pauses halfway
 * through every batch (fixtures/batch-server.ts), HTTP workers running many workflows at once so
 * their writes travel in reprise.batch POSTs. A worker, and separately the server, is killed while
 * a batch is half applied; after restarts every workflow completes, and:
 * - no acknowledged item is lost: every step of every workflow is recorded, once, with its value;
 * - no item is half applied: no step promise is left pending, no task left acquired or pending;
 * - a step runs again at most once per kill that fell inside it (between its first begin and the
 *   first begin of the next step, which only starts once the step's result was acknowledged).
 */
import { afterEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, dataOf } from "../../src/protocol/requests.js";
import { openStore } from "../../src/store/index.js";
import { kill, readLog, until, type Child } from "./child.js";
import { perTest } from "./per-test.js";
import { freePort, startServerChild, startWorkerChild } from "./servers.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "../store/postgres-support.js";

const WORKFLOWS = 12;
const STEPS = 12;
const FIXTURE = "./fixtures/batch-server.ts";

const { children, workspace, track, client, killAll } = perTest("reprise-batch-crash-", "server.db");

/** The stores the server runs on: a SQLite file in the test's folder, or a fresh PostgreSQL schema. */
const schemas: string[] = [];
afterEach(async () => {
  for (const schema of schemas.splice(0)) await dropSchema(schema);
});
const backends = [
  { name: "SQLite", store: (file: string) => file },
  ...((await postgresAvailable())
    ? [
        {
          name: "PostgreSQL",
          store: () => {
            const schema = freshSchemaName();
            schemas.push(schema);
            return `${PG_URL}?schema=${schema}`;
          },
        },
      ]
    : []),
];

async function startServer(db: string, port: number): Promise<{ child: Child; url: string }> {
  const started = await startServerChild(db, port, FIXTURE, { PAUSE_MS: "30" });
  track(started.child);
  return started;
}

/**
 * A lease long enough that a loaded machine's late heartbeat does not lose it: a lost lease is a
 * legitimate reason for a step to run again, but not the one this test counts (kills). A killed
 * worker's tasks come back when their leases run out, so that test keeps them short.
 */
const WORKER_TTL_MS = 5_000;
/**
 * With the server killed, no heartbeat lands until it is back, and on a loaded machine the outage
 * and the restart can outlast a 5 s lease: the restarted server then expires leases the worker
 * still uses, a legitimate re-run this test does not count. The worker never dies there, so its
 * leases can be long.
 */
const OUTAGE_TTL_MS = 20_000;

function startWorker(url: string, log: string, ttlMs = WORKER_TTL_MS): Child {
  return track(startWorkerChild(url, log, { STEP_MS: "5", TTL: String(ttlMs) }));
}

interface Effect {
  at: number;
  kind: string;
  step: string;
}

const effects = (log: string): Effect[] =>
  readLog(log)
    .map((line) => line.split(" "))
    .filter((parts) => parts[1] === "begin" || parts[1] === "done")
    .map(([at, kind, step]) => ({ at: Number(at), kind: kind!, step: step! }));

const doneCount = (log: string) => effects(log).filter((e) => e.kind === "done").length;
const midBatches = (server: Child) => server.output().split("\n").filter((l) => l.startsWith("MID-BATCH ")).length;
const workflowIds = Array.from({ length: WORKFLOWS }, (_, i) => `bw-${i + 1}`);
const stepId = (workflow: string, i: number) => `${workflow}.${i}/step${i}`;

/** A kill, from just before the signal to the exit, in wall-clock ms (the workers' log clock). */
interface Kill {
  from: number;
  to: number;
}

/** Waits until at least `steps` steps are done, then until a batch is half applied, and kills `victim` then. */
async function killMidBatch(server: Child, victim: Child, log: string, steps: number): Promise<Kill> {
  await until(() => doneCount(log) >= steps, 30_000, `${steps} steps done`);
  const seen = midBatches(server);
  await until(() => midBatches(server) > seen, 30_000, "a batch half applied");
  const from = Date.now();
  await kill(victim);
  return { from, to: Date.now() };
}

async function startWorkflows(url: string): Promise<Promise<string[]>[]> {
  const starter = client(url);
  const handles = await Promise.all(workflowIds.map((id) => starter.beginRpc<string[]>(id, "pipeline", STEPS, starter.options({ target: "workers" }))));
  return handles.map((handle) => handle.result());
}

async function expectEverythingRecordedOnce(db: string, log: string, kills: Kill[]): Promise<void> {
  const store = await openStore(db);
  try {
    const head = { corrId: "check", version: PROTOCOL_VERSION };
    for (const workflow of workflowIds) {
      const root = dataOf(await store.apply({ kind: "promise.get", head, data: { id: workflow } })).promise;
      expect(root.state, workflow).toBe("resolved");
      const steps = dataOf(await store.apply({ kind: "promise.search", head, data: { id: `${workflow}.*`, limit: 1000 } })).promises;
      expect(steps.map((p) => p.id).sort(), workflow).toEqual(Array.from({ length: STEPS }, (_, i) => `${workflow}.${i + 1}`).sort());
      for (const step of steps) expect(step.state, step.id).toBe("resolved");
    }
    for (const state of ["acquired", "pending"] as const) {
      const tasks = dataOf(await store.apply({ kind: "task.search", head, data: { state, limit: 1000 } })).tasks;
      expect(tasks, `tasks left ${state}`).toEqual([]);
    }
  } finally {
    await store.close();
  }

  const all = effects(log);
  const firstBegin = (step: string) => all.find((e) => e.kind === "begin" && e.step === step)?.at;
  for (const workflow of workflowIds) {
    for (let i = 1; i <= STEPS; i++) {
      const step = stepId(workflow, i);
      const opened = firstBegin(step)!;
      const closed = i < STEPS ? firstBegin(stepId(workflow, i + 1))! : Number.POSITIVE_INFINITY;
      const inside = kills.filter((k) => k.to >= opened && k.from <= closed).length;
      const runs = all.filter((e) => e.kind === "done" && e.step === step).length;
      expect(runs, `${step} ran`).toBeGreaterThanOrEqual(1);
      expect(runs, `${step} ran again only once per kill inside it (${inside})`).toBeLessThanOrEqual(1 + inside);
    }
  }
}

describe.each(backends)("reprise.batch under SIGKILL, on $name", (backend) => {
  it("loses and doubles nothing when a worker is killed while its batch is half applied", async () => {
    const { db: file, log } = workspace();
    const db = backend.store(file);
    const { child: server, url } = await startServer(db, 0);
    startWorker(url, log);
    await until(() => readLog(log).some((l) => l.includes("worker ready")), 20_000, "the worker");

    const results = await startWorkflows(url);
    const kills: Kill[] = [];
    for (const [index, steps] of [30, 80].entries()) {
      const victim = children.at(-1)!;
      kills.push(await killMidBatch(server, victim, log, steps));
      startWorker(url, log);
      await until(() => readLog(log).filter((l) => l.includes("worker ready")).length === index + 2, 20_000, "the next worker");
    }

    for (const result of await Promise.all(results)) expect(result).toEqual(Array.from({ length: STEPS }, (_, i) => `step${i + 1}-ok`));
    await killAll();
    await expectEverythingRecordedOnce(db, log, kills);
  }, 120_000);

  it("loses and doubles nothing when the server is killed while a batch is half applied", async () => {
    const { db: file, log } = workspace();
    const db = backend.store(file);
    const port = await freePort();
    let server = (await startServer(db, port)).child;
    const url = `http://127.0.0.1:${port}`;
    startWorker(url, log, OUTAGE_TTL_MS);
    await until(() => readLog(log).some((l) => l.includes("worker ready")), 20_000, "the worker");

    const results = await startWorkflows(url);
    const kills: Kill[] = [];
    for (const steps of [30, 80]) {
      const outage = await killMidBatch(server, server, log, steps);
      server = (await startServer(db, port)).child;
      // A step records its result after it runs (one write): one that ran while the server was
      // down could not record, and may run again. The outage lasts until the server is back.
      outage.to = Date.now();
      kills.push(outage);
    }

    for (const result of await Promise.all(results)) expect(result).toEqual(Array.from({ length: STEPS }, (_, i) => `step${i + 1}-ok`));
    await killAll();
    await expectEverythingRecordedOnce(db, log, kills);
  }, 120_000);
});
