/**
 * Proof for issue 11's memory items (1, 2, 4): a server in its own process keeps its RSS under a
 * stated bound while stalled readers, ghost addresses and many function names hit it. Loopback,
 * bounded by counts (it stops by itself), SQLite on a temporary file so the store's data is not in
 * the server's RSS.
 *
 * The load: STALLED worker streams that never read, each sent ROUNDS unblocks carrying a 1 MiB
 * value, and as many unblocks again for GHOSTS_PER_ROUND addresses no worker ever connects to
 * (ROUNDS × (STALLED + GHOSTS_PER_ROUND) MiB = 600 MiB that an unbounded server would hold), then
 * FUNCS root promises with distinct `reprise:func` tags. Bounded, the server holds at most: each
 * stalled stream's buffer (one largest message, 7 MiB) plus one message until it is closed, the
 * held messages (MAX_HELD_BYTES, 64 MiB), and MAX_FUNC_LABELS label sets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { MAX_FUNC_LABELS } from "../../src/observability/bounded-labels.js";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { stalledReader } from "./raw-http.js";

const STALLED = 10;
const GHOSTS_PER_ROUND = 5;
const ROUNDS = 40;
const FUNCS = 3000;
const MiB = 1024 * 1024;
const VALUE = "QUJD".repeat(MiB / 4); // 1 MiB of base64
/**
 * The bound asserted on the server's peak RSS above its idle RSS: 10 stalled streams × (7 + 1.4)
 * MiB, 64 MiB held, and 80 MiB for the heap's own slack (a garbage collector frees late, and every
 * 1 MiB request body is parsed into strings first). Before the bounds the same load grew it by 470 MiB (and 3,000 labels).
 */
const GROWTH_BOUND = STALLED * 8.5 * MiB + 64 * MiB + 80 * MiB;

const dir = mkdtempSync(join(tmpdir(), "reprise-memory-"));
const sockets: Socket[] = [];
let server: ChildProcess | undefined;
afterAll(() => {
  sockets.forEach((socket) => socket.destroy());
  server?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

it("holds the server's RSS under a stated bound under stalled readers, ghost addresses and many function names", { timeout: 60_000 }, async () => {
  const fixture = fileURLToPath(new URL("./fixtures/memory-server.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", fixture, join(dir, "reprise.db")], { stdio: ["ignore", "pipe", "inherit"] });
  server = child;
  let peak = 0;
  let latest = 0;
  const port = await new Promise<number>((resolve, reject) => {
    let pending = "";
    child.on("exit", (code) => reject(new Error(`server exited with ${String(code)}`)));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        const [key, value] = line.split(" ");
        if (key === "port") resolve(Number(value));
        if (key === "rss") {
          latest = Number(value);
          peak = Math.max(peak, latest);
        }
      }
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const send = async (kind: string, data: unknown) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind, head: { corrId: randomUUID(), version: PROTOCOL_VERSION }, data }),
    });
    const body = (await response.json()) as { head?: { status: number } };
    expect(body.head?.status, `${kind}: ${JSON.stringify(body).slice(0, 300)}`).toBeLessThan(300);
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  // Warm up (JIT, SQLite pages, one of each request) before the idle figure is taken.
  await send("promise.create", { id: "warm", timeoutAt: Date.now() + 600_000, param: {}, tags: {} });
  await pause(200);
  const idle = latest;

  for (let n = 0; n < STALLED; n++) {
    const socket = await stalledReader(port, `/poll/slow/s${n}`);
    socket.on("error", () => undefined); // the server may close it as stalled
    sockets.push(socket);
  }

  for (let round = 0; round < ROUNDS; round++) {
    const id = `big-${round}`;
    await send("promise.create", { id, timeoutAt: Date.now() + 600_000, param: {}, tags: { [TAG.scope]: "global" } });
    const addresses = [
      ...Array.from({ length: STALLED }, (_, n) => `poll://uni@slow/s${n}`),
      ...Array.from({ length: GHOSTS_PER_ROUND }, (_, n) => `poll://uni@ghost-${round}-${n}/p0`),
    ];
    await Promise.all(addresses.map((address) => send("promise.register_listener", { awaited: id, address })));
    await send("promise.settle", { id, state: "resolved", value: { data: VALUE } });
  }

  for (let n = 0; n < FUNCS; n += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, k) =>
        send("promise.create", { id: `func-${n + k}`, timeoutAt: Date.now() + 600_000, param: {}, tags: { [TAG.kind]: "root", [TAG.func]: `f-${n + k}` } }),
      ),
    );
  }
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const funcLabels = new Set([...metrics.matchAll(/func="([^"]*)"/g)].map((match) => match[1]));
  await pause(200); // one more RSS report after the last request

  const figures = { idleMiB: mib(idle), peakMiB: mib(peak), growthMiB: mib(peak - idle), boundMiB: mib(GROWTH_BOUND), metricsKiB: Math.round(metrics.length / 1024), funcLabels: funcLabels.size };
  console.log(`memory load: ${JSON.stringify(figures)}`);
  expect(funcLabels.size).toBeLessThanOrEqual(MAX_FUNC_LABELS + 1);
  expect(peak - idle).toBeLessThan(GROWTH_BOUND);
});

function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}
