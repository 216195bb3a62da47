/**
 * Flow control across real processes (issue 15 §2): two `reprise serve` servers over one
 * PostgreSQL schema, a worker process on each. The workflows record, in PostgreSQL, how many of
 * them run at once and when each started; the store's limits must hold across all of them, lose
 * no execution, and start a high-priority execution before 500 queued earlier.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { Reprise } from "../../src/index.js";
import type { FlowStat } from "../../src/protocol/records.js";
import { reprise as cli, serve, type ServeChild } from "../cli/run-cli.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "../store/postgres-support.js";
import { kill, startChild, until, type Child } from "./child.js";

const run = await postgresAvailable();
const schema = freshSchemaName();
const probe = `flow_probe_${schema.replace(/\W/g, "_")}`;
const EXECUTIONS = 1000;
const LIMIT = 5;
/**
 * How long a limited execution's step runs. The counter sees an execution only while its step
 * runs, not while the worker claims and completes it; the step must outlast that hand-over, or on
 * a loaded machine five executions holding all five slots are rarely inside their steps at once.
 */
const LIMITED_STEP_MS = 100;
const RATE = { limit: 10, periodMs: 2000 };
const RATED = 30;
const LOW = 500;

const servers: ServeChild[] = [];
const workers: Child[] = [];
const clients: Reprise[] = [];
let db: pg.Pool;

beforeAll(async () => {
  if (!run) return;
  db = new pg.Pool({ connectionString: PG_URL, max: 4 });
  await db.query(`CREATE TABLE ${probe}_counter (func text PRIMARY KEY, running integer NOT NULL, peak integer NOT NULL)`);
  await db.query(`INSERT INTO ${probe}_counter VALUES ('limited', 0, 0), ('rated', 0, 0), ('prioritized', 0, 0)`);
  await db.query(`CREATE TABLE ${probe}_starts (seq bigserial, func text NOT NULL, id text NOT NULL, at bigint NOT NULL)`);
  await db.query(`CREATE TABLE ${probe}_flags (name text PRIMARY KEY)`);
  const store = `${PG_URL}?schema=${schema}`;
  servers.push(await serve(["--store", store]), await serve(["--store", store]));
  for (const server of servers) {
    workers.push(startChild("./fixtures/flow-worker.ts", { URL: server.url, PG_URL, PROBE: probe, STEP_MS: "10", LIMITED_STEP_MS: String(LIMITED_STEP_MS), RATE_LIMIT: String(RATE.limit), RATE_PERIOD_MS: String(RATE.periodMs) }));
  }
  await until(() => workers.every((w) => w.output().includes("WORKER READY")), 30_000, "both workers");
  clients.push(...servers.map((server) => new Reprise({ url: server.url, group: "clients", logLevel: "error" })));
}, 60_000);

afterAll(async () => {
  if (!run) return;
  await Promise.all(clients.map((c) => c.stop()));
  await Promise.all(workers.map(kill));
  await Promise.all(servers.map((s) => s.kill()));
  for (const table of ["counter", "starts", "flags"]) await db.query(`DROP TABLE IF EXISTS ${probe}_${table}`);
  await db.end();
  await dropSchema(schema);
});

/** Starts `count` executions of `func`, alternating between the two servers. */
function startMany(func: string, prefix: string, count: number, args: (i: number) => unknown[] = () => []) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const client = clients[i % 2]!;
      const id = `${prefix}-${i}`;
      return client.beginRpc<number>(id, func, id, ...args(i), client.options({ target: "workers" }));
    }),
  );
}

async function flows(url: string): Promise<FlowStat[]> {
  const answer = await fetch(`${url}/api/flow`);
  return ((await answer.json()) as { flows: FlowStat[] }).flows;
}

async function starts(func: string): Promise<{ id: string; at: number; seq: number }[]> {
  const { rows } = await db.query<{ id: string; at: string; seq: string }>(`SELECT id, at, seq FROM ${probe}_starts WHERE func = $1 ORDER BY seq`, [func]);
  return rows.map((row) => ({ id: row.id, at: Number(row.at), seq: Number(row.seq) }));
}

describe.runIf(run)("flow control over two servers and two workers on one PostgreSQL", () => {
  it(`runs ${EXECUTIONS} executions with at most ${LIMIT} at once, every one of them, and shows the queue`, async () => {
    const handles = await startMany("limited", "limited", EXECUTIONS);
    // While they drain, the queue is visible on both servers: /metrics, the dashboard's API, the CLI.
    let queued = 0;
    for (let i = 0; i < 200 && queued === 0; i++) {
      const metrics = await (await fetch(`${servers[1]!.url}/metrics`)).text();
      queued = Number(/^reprise_flow_queued\{func="limited"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
      if (queued === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(queued).toBeGreaterThan(0);
    const [limited] = (await flows(servers[0]!.url)).filter((flow) => flow.func === "limited");
    expect(limited).toMatchObject({ group: "workers", limits: { func: "limited", concurrency: LIMIT } });
    expect(limited!.running).toBeLessThanOrEqual(LIMIT);
    const listed = await cli(["--server", servers[0]!.url, "--json", "limits", "--queued"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { flows: FlowStat[] }).flows.map((flow) => flow.func)).toContain("limited");

    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results).toHaveLength(EXECUTIONS);
    const { rows } = await db.query<{ peak: number; running: number }>(`SELECT peak, running FROM ${probe}_counter WHERE func = 'limited'`);
    expect(rows[0]!.running).toBe(0);
    expect(rows[0]!.peak).toBeLessThanOrEqual(LIMIT);
    expect(rows[0]!.peak).toBe(LIMIT);
    expect(new Set((await starts("limited")).map((s) => s.id)).size).toBe(EXECUTIONS);
    if (process.env.DEBUG_FLOW) {
      const at = (await starts("limited")).map((s) => s.at).sort((a, b) => a - b);
      const gaps = at.slice(1).map((t, i) => [t - at[i]!, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 8);
      console.log("span", at.at(-1)! - at[0]!, "largest gaps", gaps);
    }
    const after = (await flows(servers[1]!.url)).find((flow) => flow.func === "limited");
    expect(after).toMatchObject({ running: 0, queued: 0 });
  }, 240_000);

  it(`starts at most ${RATE.limit} executions per ${RATE.periodMs} ms`, async () => {
    const handles = await startMany("rated", "rated", RATED);
    await Promise.all(handles.map((h) => h.result()));
    const at = (await starts("rated")).map((s) => s.at).sort((a, b) => a - b);
    expect(at).toHaveLength(RATED);
    // The store counts starts when it hands out a task; a step notes its start a little later, by a
    // delay that varies, so windows of the measured times are allowed that much less than a period.
    const jitter = 400;
    for (let i = 0; i + RATE.limit < at.length; i++) expect(at[i + RATE.limit]! - at[i]!).toBeGreaterThanOrEqual(RATE.periodMs - jitter);
    const periods = Math.ceil(RATED / RATE.limit) - 1;
    expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(periods * RATE.periodMs - jitter);
  }, 120_000);

  it(`starts a high-priority execution next, ahead of ${LOW} queued before it`, async () => {
    const [blocker] = await startMany("prioritized", "blocker", 1, () => [true]);
    for (let i = 0; i < 200 && (await starts("prioritized")).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const lows = await startMany("prioritized", "low", LOW, () => [false]);
    const high = await clients[0]!.beginRpc<number>("high", "prioritized", "high", false, clients[0]!.options({ target: "workers", priority: 10 }));
    // Every one of them has tried to start and is queued before the blocker makes room.
    for (let i = 0; i < 600; i++) {
      const stat = (await flows(servers[0]!.url)).find((flow) => flow.func === "prioritized");
      if (stat?.queued === LOW + 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await flows(servers[0]!.url)).find((flow) => flow.func === "prioritized")).toMatchObject({ running: 1, queued: LOW + 1 });
    await db.query(`INSERT INTO ${probe}_flags VALUES ('blocker-0')`);
    await blocker!.result();
    await high.result();
    const order = (await starts("prioritized")).map((s) => s.id);
    expect(order.slice(0, 2)).toEqual(["blocker-0", "high"]);
    // The rest are not needed: cancelling them takes them out of the queue, and nothing is left behind.
    await Promise.all(lows.map((low) => clients[1]!.promises.cancel(low.id).catch(() => undefined)));
    await Promise.all(lows.map((low) => low.result().catch(() => undefined)));
    for (let i = 0; i < 100; i++) {
      const stat = (await flows(servers[1]!.url)).find((flow) => flow.func === "prioritized");
      if (stat?.running === 0 && stat.queued === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await flows(servers[1]!.url)).find((flow) => flow.func === "prioritized")).toMatchObject({ running: 0, queued: 0 });
    const { rows } = await db.query<{ peak: number }>(`SELECT peak FROM ${probe}_counter WHERE func = 'prioritized'`);
    expect(rows[0]!.peak).toBe(1);
  }, 180_000);

  it("removes a function's declared limits from the CLI", async () => {
    const removed = await cli(["--server", servers[1]!.url, "--json", "limits", "--remove", "rated", "--group", "workers"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect((JSON.parse(removed.stdout) as { removed: { func: string }[] }).removed.map((d) => d.func)).toEqual(["rated"]);
    const listed = await cli(["--server", servers[0]!.url, "limits"]);
    expect(listed.stdout).toMatch(/^workers\s+limited\s+5\s+-\s+-\s+0\s+0/m);
    expect(listed.stdout).not.toMatch(/rated\s+-\s+10\/2000ms/);
  }, 60_000);
});
