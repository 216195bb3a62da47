/**
 * How long after another process resolves a durable promise does the embedded process whose
 * workflow waits on it resume? The figure the docs quote comes from this script:
 *
 *   node --import tsx scripts/measure-cross-process-resume.ts [rounds=20]
 *
 * A child process (the "waiter") runs one workflow per round that blocks on `ctx.promise()`;
 * this process opens the same SQLite file, resolves the promise, and times until the child prints
 * that its next step ran. Both read Date.now() on one machine. Prints min / median / p90 / max.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Reprise, type Context } from "../src/index.js";

const ROUNDS = Number(process.argv[2] ?? 20);

function resumed(_ctx: Context, id: string): number {
  const at = Date.now();
  console.log(`RESUMED ${id} ${at}`);
  return at;
}

function* waitForSignal(ctx: Context, id: string): Generator<unknown, number, unknown> {
  const signal = yield* ctx.promise<string>({ id: `${id}.signal` });
  yield* signal;
  return yield* ctx.run(resumed, id);
}

async function waiter(store: string): Promise<void> {
  const reprise = new Reprise({ store });
  reprise.register("waitForSignal", waitForSignal);
  await reprise.ready();
  console.log("READY");
  // One execution per line on stdin; each runs until another process resolves its signal.
  for await (const id of createInterface({ input: process.stdin })) {
    void reprise.beginRun(id, waitForSignal, id);
  }
  await reprise.stop();
}

async function measure(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "reprise-resume-"));
  const store = join(dir, "reprise.db");
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--waiter", store], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const next = new Map<string, (at: number) => void>();
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  lines.on("line", (line) => {
    if (line === "READY") ready();
    const match = /^RESUMED (\S+) (\d+)$/.exec(line);
    if (match) next.get(match[1]!)?.(Number(match[2]));
  });
  await isReady;

  const reprise = new Reprise({ store });
  const delays: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const id = `round-${round}`;
      const done = new Promise<number>((resolve) => next.set(id, resolve));
      child.stdin.write(`${id}\n`);
      // Wait until the child's workflow has created its promise and suspended on it.
      for (;;) {
        const found = await reprise.promises.get(`${id}.signal`).catch(() => undefined);
        if (found?.state === "pending") break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // A random offset, so the resolve does not fall at the same point of the child's sweep every round.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
      const resolvedAt = Date.now();
      await reprise.promises.resolve(`${id}.signal`, "go");
      delays.push((await done) - resolvedAt);
    }
  } finally {
    await reprise.stop();
    child.stdin.end();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  delays.sort((a, b) => a - b);
  const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!;
  console.log(`rounds ${delays.length}: min ${delays[0]} ms, median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${delays.at(-1)} ms`);
}

if (process.argv[2] === "--waiter") await waiter(process.argv[3]!);
else await measure();
