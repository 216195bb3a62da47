/**
 * CPU seconds of the server and of the worker while `count` sleepers start in server mode (the
 * sleepers section's server half, run on its own). Wall time on a machine shared with other work
 * says little; the CPU each process spends per sleeper does not depend on the neighbours.
 *   node .tmp/bench-build/bench/cpu-sleepers.js --count 20000 [--prof <dir>]
 * Prints one JSON line: the user and system CPU seconds each child spent from the moment the worker
 * was ready until every sleeper is suspended (read from /proc/<pid>/stat; start-up is not
 * per-sleeper work), and each one's RSS then. With --prof, both children
 * run with `--cpu-prof` into that directory (written when they exit); bench/profile-summary.ts
 * prints the top self times of each.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Child, killAll, rssMiB, useCompiled, useNodeFlags } from "./lib/child.js";
import { SuspendedCounter, waitForCount } from "./lib/start-all.js";

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : undefined;
};
const count = Number(option("count") ?? "20000");
const prof = option("prof");
/** More flags for node in both children, e.g. `--node-flags "--import ./alloc.mjs"` (space-separated). */
const nodeFlags = option("node-flags")?.split(" ").filter(Boolean) ?? [];

/** utime + stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

const since = (now: { user: number; system: number }, then: { user: number; system: number }) => ({
  user: Number((now.user - then.user).toFixed(2)),
  system: Number((now.system - then.system).toFixed(2)),
  total: Number((now.user - then.user + now.system - then.system).toFixed(2)),
});

async function main(): Promise<void> {
  // This file runs compiled, next to the library it measures.
  useCompiled(fileURLToPath(new URL("../", import.meta.url)));
  const dir = mkdtempSync(join(tmpdir(), "reprise-cpu-sleepers-"));
  useNodeFlags([...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []), ...nodeFlags]);
  const server = new Child("server", "serve.ts", ["--store", join(dir, "server.db")]);
  const url = String((await server.next("listening", 30_000)).url);
  const worker = new Child("worker", "worker.ts", ["--url", url, "--group", "bench"]);
  await worker.next("ready", 30_000);
  const serverAtReady = cpuSeconds(server.pid);
  const workerAtReady = cpuSeconds(worker.pid);
  const begun = Date.now();
  worker.send({ op: "sleepers", count, prefix: "sleeper" });
  const counter = new SuspendedCounter(join(dir, "server.db"));
  try {
    const { at, timedOut, reached } = await waitForCount(() => counter.count(), count, 300_000, 100);
    const serverNow = cpuSeconds(server.pid);
    const workerNow = cpuSeconds(worker.pid);
    console.log(
      JSON.stringify({
        count,
        seconds: (at - begun) / 1000,
        ...(timedOut ? { timedOut, reached } : {}),
        server: { ...since(serverNow, serverAtReady), rssMiB: Math.round(rssMiB(server.pid) ?? 0) },
        worker: { ...since(workerNow, workerAtReady), rssMiB: Math.round(rssMiB(worker.pid) ?? 0) },
      }),
    );
  } finally {
    counter.close();
    // A profile is written as the process exits: give it time.
    await Promise.all([worker.stop(60_000), server.stop(60_000)]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    killAll();
    process.exit(1);
  },
);
