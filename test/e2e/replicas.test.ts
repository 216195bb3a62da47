/**
 * Two Reprise servers over one PostgreSQL schema, a worker on each: every workflow completes and
 * no step runs twice, so no task was ever claimed by both.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Reprise } from "../../src/index.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "../store/postgres-support.js";
import { kill, readLog, until, type Child } from "./child.js";
import { startServerChild, startWorkerChild } from "./servers.js";

const run = await postgresAvailable();
const schema = freshSchemaName();
const children: Child[] = [];
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "reprise-replicas-"));
});

afterAll(async () => {
  await Promise.all(children.map(kill));
  rmSync(dir, { recursive: true, force: true });
  if (run) await dropSchema(schema);
});

describe.runIf(run)("two servers over one PostgreSQL", () => {
  it("complete every workflow with no step run twice", async () => {
    const store = `${PG_URL}?schema=${schema}`;
    const log = join(dir, "effects.log");
    const first = await startServerChild(store, 0);
    const second = await startServerChild(store, 0);
    children.push(first.child, second.child);
    const debug: Record<string, string> = process.env.DEBUG_WORKER ? { REPRISE_LOG_LEVEL: "debug" } : {};
    // Nobody dies here, so a long lease: a step may run twice only if a lease lapses under load.
    const env = { STEP_MS: "5", TTL: "10000", ...debug };
    const workers = [startWorkerChild(first.url, log, env), startWorkerChild(second.url, log, env)];
    children.push(...workers);
    await until(() => readLog(log).filter((l) => l.includes("worker ready")).length === 2, 20_000, "two workers");

    // Half the workflows start through each server, so each server's own worker is offered work first.
    const clients = [new Reprise({ url: first.url, group: "clients" }), new Reprise({ url: second.url, group: "clients" })];
    const workflows = 12;
    const steps = 8;
    try {
      const handles = await Promise.all(
        Array.from({ length: workflows }, (_, i) => {
          const client = clients[i % 2]!;
          return client.beginRpc<string[]>(`replica-${i}`, "pipeline", steps, client.options({ target: "workers" }));
        }),
      );
      const results = await Promise.all(handles.map((h) => h.result()));
      for (const result of results) expect(result).toEqual(Array.from({ length: steps }, (_, i) => `step${i + 1}-ok`));
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
    }

    const done = readLog(log).filter((l) => l.split(" ")[1] === "done").map((l) => l.split(" ")[2]!);
    if (process.env.DEBUG_WORKER) console.log(workers.map((w) => w.output()).join("\n"), first.child.output(), second.child.output());
    expect(done).toHaveLength(workflows * steps);
    expect(new Set(done).size).toBe(workflows * steps);

    // With the worker behind the first server gone, work started through the first server reaches
    // the worker behind the second one (LISTEN/NOTIFY), and it alone runs it.
    await kill(workers[0]!);
    const client = new Reprise({ url: first.url, group: "clients" });
    try {
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) => client.rpc<string[]>(`crossing-${i}`, "pipeline", steps, client.options({ target: "workers" }))),
      );
      expect(results.every((result) => result.length === steps)).toBe(true);
    } finally {
      await client.stop();
    }
    const crossing = readLog(log).filter((l) => l.split(" ")[1] === "done" && l.split(" ")[2]!.startsWith("crossing-"));
    expect(crossing).toHaveLength(4 * steps);
    expect(new Set(crossing.map((l) => l.split(" ")[3]))).toEqual(new Set([String(workers[1]!.process.pid)]));
  }, 90_000);
});
