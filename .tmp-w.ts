import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reprise, type Context } from "./src/index.js";
function noop(_ctx: Context, i: number): number { return i; }
function* sequential(ctx: Context, steps: number): Generator<unknown, number, unknown> {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += yield* ctx.run(noop, i);
  return sum;
}
const durability = (process.env.DUR ?? "power-loss") as "power-loss" | "process-crash";
const mode = process.env.MODE ?? "both";
const dir = mkdtempSync(join(tmpdir(), "w-"));
const reprise = new Reprise({ store: join(dir, "b.db"), durability, determinism: "off" });
reprise.register("sequential", sequential);
await reprise.ready();
for (let round = 0; round < Number(process.env.ROUNDS ?? 5); round++) {
  let w1 = 0, w2 = 0;
  if (mode !== "w2") {
    const t = performance.now();
    await Promise.all(Array.from({ length: 500 }, (_, i) => reprise.run(`w1-${round}-${i}`, "sequential", 10)));
    w1 = 5000 / ((performance.now() - t) / 1000);
  }
  if (mode !== "w1") {
    const t = performance.now();
    await reprise.run(`w2-${round}`, "sequential", 200);
    w2 = 200 / ((performance.now() - t) / 1000);
  }
  console.log(durability, "W1", Math.round(w1), "W2", Math.round(w2));
}
await reprise.stop();
process.exit(0);
