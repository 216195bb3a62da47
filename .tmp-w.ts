import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reprise, type Context } from "./src/index.js";
import { openStore } from "./src/store/index.js";
function noop(_ctx: Context, i: number): number { return i; }
function* sequential(ctx: Context, steps: number): Generator<unknown, number, unknown> {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += yield* ctx.run(noop, i);
  return sum;
}
const sync = (process.env.SYNC ?? "FULL") as "FULL" | "NORMAL";
const dir = mkdtempSync(join(tmpdir(), "w-"));
const store = await openStore(join(dir, "b.db"), { sqlite: { synchronous: sync } });
const reprise = new Reprise({ store });
reprise.register("sequential", sequential);
await reprise.ready();
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  await Promise.all(Array.from({ length: 500 }, (_, i) => reprise.run(`w1-${round}-${i}`, "sequential", 10)));
  const w1 = 5000 / ((performance.now() - t) / 1000);
  t = performance.now();
  await reprise.run(`w2-${round}`, "sequential", 200);
  const w2 = 200 / ((performance.now() - t) / 1000);
  console.log(sync, "W1", Math.round(w1), "W2", Math.round(w2));
}
await reprise.stop();
process.exit(0);
