/**
 * Section 6: how soon embedded instances sharing one SQLite file hear each other. Two instances in
 * this process, each with its own connection to the file, as two processes would have (their
 * messages never cross; each hears the other's commits through the file's data version).
 *   node --import tsx bench/cross-process.ts --db <file> --rounds 20
 *   - rpc: the caller (group "callers") starts `greet` for the workers' group with `rpc` and waits;
 *     the worker instance finds the task, runs it, and the caller hears of the result.
 *   - resume: a workflow of the worker instance waits on `ctx.promise()`; the caller resolves it
 *     (after a random 0–50 ms, so rounds do not line up with the checks) and the time to the
 *     workflow's next step is taken.
 * Prints `BENCH {"type":"result","rpc":{…},"resume":{…}}`: min, median, p90 and max in ms.
 */
import { Reprise, type Context } from "../src/index.js";
import { childMain, emit, flag } from "./lib/child.js";

function hello(_ctx: Context, name: string): string {
  return `hello ${name}`;
}

function* greet(ctx: Context, name: string): Generator<unknown, string, unknown> {
  return yield* ctx.run(hello, name);
}

const resumedAt = new Map<string, (at: number) => void>();

function resumed(_ctx: Context, id: string): number {
  const at = performance.now();
  resumedAt.get(id)?.(at);
  return at;
}

function* waitForSignal(ctx: Context, id: string): Generator<unknown, number, unknown> {
  const signal = yield* ctx.promise<string>({ id: `${id}.signal` });
  yield* signal;
  return yield* ctx.run(resumed, id);
}

function summary(ms: number[]): Record<string, number> {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  return { rounds: sorted.length, minMs: at(0), medianMs: at(0.5), p90Ms: at(0.9), maxMs: at(1) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

childMain(async () => {
  const store = flag("db")!;
  const rounds = Number(flag("rounds", "20"));
  const worker = new Reprise({ store, group: "greeters", logLevel: "silent" });
  worker.register("greet", greet);
  worker.register("waitForSignal", waitForSignal);
  const caller = new Reprise({ store, group: "callers", logLevel: "silent" });
  try {
    await Promise.all([worker.ready(), caller.ready()]);
    const rpc: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await sleep(Math.random() * 50);
      const started = performance.now();
      await caller.rpc(`greet-${round}`, "greet", "ada", caller.options({ target: "greeters" }));
      rpc.push(performance.now() - started);
    }
    const resume: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const id = `wait-${round}`;
      const resumedNow = new Promise<number>((resolve) => resumedAt.set(id, resolve));
      await worker.beginRun(id, "waitForSignal", id);
      // Until the workflow has created its promise and suspended on it.
      while ((await caller.promises.get(`${id}.signal`).catch(() => undefined))?.state !== "pending") await sleep(5);
      await sleep(Math.random() * 50);
      const resolvedAt = performance.now();
      await caller.promises.resolve(`${id}.signal`, "go");
      resume.push((await resumedNow) - resolvedAt);
    }
    emit("result", { rpc: summary(rpc), resume: summary(resume) });
  } finally {
    await caller.stop();
    await worker.stop();
  }
});
