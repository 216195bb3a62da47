/**
 * How long does a caller wait for a result computed by another embedded instance on the same
 * SQLite file? `caller.rpc()` creates the execution for the workers' group; the worker instance
 * (its own connection, as another process would have) hears of it only through the file, runs it,
 * and the caller hears of the result the same way.
 *
 *   node --import tsx scripts/measure-cross-process-rpc.ts [rounds=20]
 *
 * Prints min / median / p90 / max of the time from the rpc call to its result.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reprise, type Context } from "../src/index.js";

const ROUNDS = Number(process.argv[2] ?? 20);

function hello(_ctx: Context, name: string): string {
  return `hello ${name}`;
}

function* greet(ctx: Context, name: string): Generator<unknown, string, unknown> {
  return yield* ctx.run(hello, name);
}

const dir = mkdtempSync(join(tmpdir(), "reprise-rpc-latency-"));
const store = join(dir, "shared.db");
const worker = new Reprise({ store, group: "greeters", logLevel: "silent" });
worker.register("greet", greet);
const caller = new Reprise({ store, group: "callers", logLevel: "silent" });
try {
  await Promise.all([worker.ready(), caller.ready()]);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await caller.rpc(`greet-${round}`, "greet", "ada", caller.options({ target: "greeters" }));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0);
  console.log(`rounds ${ROUNDS}: min ${at(0)} ms, median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`);
} finally {
  await caller.stop();
  await worker.stop();
  rmSync(dir, { recursive: true, force: true });
}
