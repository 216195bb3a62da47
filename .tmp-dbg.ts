import type { Context } from "./src/index.js";
import { crashEveryStep } from "./src/testing/index.js";
function a(): string { return "a"; }
function* flow(ctx: Context): Generator<unknown, string, unknown> { return (yield* ctx.run(a)) + (yield* ctx.run(a)); }
const t = Date.now();
const report = await crashEveryStep(flow, []);
console.log(JSON.stringify(report, null, 1), Date.now() - t);
process.exit(0);
