/**
 * Server mode with real processes: a server, HTTP workers, SIGKILLs. Workflows move to another
 * worker when theirs dies, survive a server restart, and are never claimed twice.
 */
import { describe, expect, it } from "vitest";
import { kill, readLog, until } from "./child.js";
import { perTest } from "./per-test.js";
import { freePort, startServerChild, startWorkerChild } from "./servers.js";

const { workspace, track, client } = perTest("reprise-failover-", "server.db");

interface Effect {
  at: number;
  kind: string;
  step: string;
  pid: number;
}

const effects = (log: string): Effect[] =>
  readLog(log)
    .map((line) => line.split(" "))
    .filter((parts) => parts[1] === "begin" || parts[1] === "done")
    .map(([at, kind, step, pid]) => ({ at: Number(at), kind: kind!, step: step!, pid: Number(pid) }));

const doneCount = (log: string, step: string) => effects(log).filter((e) => e.kind === "done" && e.step === step).length;

describe("server mode", () => {
  it("moves a workflow to another worker when its worker is killed", async () => {
    const { db, log } = workspace();
    const { child: server, url } = await startServerChild(db, 0);
    track(server);
    const a = track(startWorkerChild(url, log));
    const b = track(startWorkerChild(url, log));
    await until(() => readLog(log).filter((l) => l.includes("worker ready")).length === 2, 20_000, "two workers");

    const steps = 20;
    const starter = client(url);
    const handle = await starter.beginRpc<string[]>("failover-1", "pipeline", steps, starter.options({ target: "workers" }));
    await until(() => effects(log).filter((e) => e.kind === "done").length >= 5, 20_000, "five steps");
    const victimPid = effects(log).at(-1)!.pid;
    const victim = victimPid === a.process.pid ? a : b;
    const survivor = victim === a ? b : a;
    await kill(victim);
    const killedAt = Date.now();
    const lastByVictim = effects(log).filter((e) => e.pid === victimPid).at(-1)!;

    expect(await handle.result()).toEqual(Array.from({ length: steps }, (_, i) => `step${i + 1}-ok`));
    const resumed = effects(log).find((e) => e.at > killedAt && e.pid === survivor.process.pid);
    expect(resumed, "the survivor took over").toBeDefined();
    for (let i = 1; i <= steps; i++) {
      const step = `failover-1.${i}/step${i}`;
      const allowed = lastByVictim.kind === "done" && lastByVictim.step === step ? 2 : 1;
      expect(doneCount(log, step), step).toBeGreaterThanOrEqual(1);
      expect(doneCount(log, step), step).toBeLessThanOrEqual(allowed);
    }
  }, 60_000);

  it("runs remote calls (ctx.beginRpc) on workers of a group and resumes the caller when they finish", async () => {
    const { db, log } = workspace();
    const { child: server, url } = await startServerChild(db, 0);
    track(server);
    track(startWorkerChild(url, log));
    track(startWorkerChild(url, log));
    await until(() => readLog(log).filter((l) => l.includes("worker ready")).length === 2, 20_000, "two workers");

    const starter = client(url);
    expect(await starter.rpc<number>("fanout-1", "fanout", 3, starter.options({ target: "workers" }))).toBe(6);
    // Each remote call ran as its own execution, under the caller's id.
    expect(doneCount(log, "fanout-1.1.1/step1")).toBe(1);
    expect(doneCount(log, "fanout-1.2.3/step3")).toBe(1);
  }, 60_000);

  it("finishes a workflow across a server killed with SIGKILL and restarted", async () => {
    const { db, log } = workspace();
    const port = await freePort();
    const first = await startServerChild(db, port);
    track(first.child);
    const worker = track(startWorkerChild(first.url, log, { STEP_MS: "40", REPRISE_LOG_LEVEL: process.env.DEBUG_WORKER ? "debug" : "warn" }));
    await until(() => readLog(log).some((l) => l.includes("worker ready")), 20_000, "the worker");

    const steps = 15;
    const starter = client(first.url);
    const handle = await starter.beginRpc<string[]>("restart-1", "pipeline", steps, starter.options({ target: "workers" }));
    await until(() => effects(log).filter((e) => e.kind === "done").length >= 4, 20_000, "four steps");
    await kill(first.child);
    await new Promise((resolve) => setTimeout(resolve, 300));
    track((await startServerChild(db, port)).child);

    expect(await handle.result()).toEqual(Array.from({ length: steps }, (_, i) => `step${i + 1}-ok`));
    if (process.env.DEBUG_WORKER) console.log(worker.output(), readLog(log).join("\n"));
    for (let i = 1; i <= steps; i++) expect(doneCount(log, `restart-1.${i}/step${i}`)).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
