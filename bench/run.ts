/** `npm run bench`: prints every benchmark's figures as a table and as JSON. */
import { benchConcurrent, benchSequential } from "./engine.js";

const rows: Array<Record<string, string | number>> = [];
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

const seq = await benchSequential(1000);
rows.push({ benchmark: "embedded SQLite: 1 workflow x 1,000 sequential steps", steps: seq.steps, "steps/s": round(seq.stepsPerSecond, 0), "mean step ms": round(seq.meanStepLatencyMs, 3) });

const conc = await benchConcurrent(500, 10);
rows.push({ benchmark: "embedded SQLite: 500 concurrent workflows x 10 steps", steps: conc.steps, "steps/s": round(conc.stepsPerSecond, 0), "mean step ms": round(conc.meanStepLatencyMs, 3) });

console.log("Durability: SQLite WAL, synchronous=NORMAL (every acknowledged write is in the WAL; an OS crash may lose the last commits, a process crash loses nothing).");
console.table(rows);
console.log(JSON.stringify(rows));
process.exit(0);
