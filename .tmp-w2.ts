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
for (let round = 0; round < 5; round++) {
  const t = performance.now();
  await reprise.run(`w2-${round}`, "sequential", 1000);
  console.log(sync, "W2", Math.round(1000 / ((performance.now() - t) / 1000)));
}
await reprise.stop();
process.exit(0);
