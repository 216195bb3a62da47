/**
 * The server path: a Reprise server in a child process (SQLite or PostgreSQL), one HTTP worker in
 * this process running a 500-step workflow (steps/s, per-step latency), and the failover time:
 * two worker processes, the one running a workflow is SIGKILLed, how long until the other resumes it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reprise } from "../src/index.js";
import { kill, readLog, until, type Child } from "../test/e2e/child.js";
import { startServerChild, startWorkerChild } from "../test/e2e/servers.js";
import { sequential } from "./engine.js";

const CONCURRENT_WORKFLOWS = 100;

export interface ServerFigures {
  store: string;
  steps: number;
  stepsPerSecond: number;
  meanStepLatencyMs: number;
  /** 100 workflows of 10 steps at once, through the same worker. */
  concurrentStepsPerSecond: number;
  failoverMs: number;
  leaseTtlMs: number;
}

export async function benchServer(label: string, storeFor: (dir: string) => string, steps = 500): Promise<ServerFigures> {
  const dir = mkdtempSync(join(tmpdir(), "reprise-bench-server-"));
  const children: Child[] = [];
  try {
    const { child: server, url } = await startServerChild(storeFor(dir), 0);
    children.push(server);

    const worker = new Reprise({ url, group: "bench" });
    worker.register("sequential", sequential);
    await worker.ready();
    await worker.run(`warmup-${Date.now()}`, "sequential", steps);
    const started = performance.now();
    await worker.run(`server-seq-${Date.now()}`, "sequential", steps);
    const seconds = (performance.now() - started) / 1000;
    const concurrentStarted = performance.now();
    await Promise.all(Array.from({ length: CONCURRENT_WORKFLOWS }, (_, i) => worker.run(`server-conc-${Date.now()}-${i}`, "sequential", 10)));
    const concurrentSeconds = (performance.now() - concurrentStarted) / 1000;
    await worker.stop();

    const ttl = 1500;
    const log = join(dir, "effects.log");
    const a = startWorkerChild(url, log, { TTL: String(ttl), STEP_MS: "20" });
    const b = startWorkerChild(url, log, { TTL: String(ttl), STEP_MS: "20" });
    children.push(a, b);
    await until(() => readLog(log).filter((l) => l.includes("worker ready")).length === 2, 20_000, "two workers");
    const starter = new Reprise({ url, group: "bench-client" });
    await starter.beginRpc(`failover-${Date.now()}`, "pipeline", 200, starter.options({ target: "workers" }));
    await until(() => readLog(log).filter((l) => l.includes(" done ")).length >= 3, 20_000, "three steps");
    const victimPid = Number(readLog(log).at(-1)!.split(" ").at(-1));
    const victim = victimPid === a.process.pid ? a : b;
    const survivorPid = victim === a ? b.process.pid : a.process.pid;
    await kill(victim);
    const killedAt = Date.now();
    await until(() => readLog(log).some((l) => Number(l.split(" ")[0]) > killedAt && l.endsWith(` ${survivorPid}`) && l.includes(" begin ")), 30_000, "the survivor to resume");
    const resumedAt = Number(readLog(log).find((l) => Number(l.split(" ")[0]) > killedAt && l.endsWith(` ${survivorPid}`))!.split(" ")[0]);
    await starter.stop();

    return {
      store: label,
      steps,
      stepsPerSecond: steps / seconds,
      meanStepLatencyMs: (seconds * 1000) / steps,
      concurrentStepsPerSecond: (CONCURRENT_WORKFLOWS * 10) / concurrentSeconds,
      failoverMs: resumedAt - killedAt,
      leaseTtlMs: ttl,
    };
  } finally {
    await Promise.all(children.map(kill));
    rmSync(dir, { recursive: true, force: true });
  }
}
