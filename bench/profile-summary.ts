/**
 * The top self times of a `node --cpu-prof` profile, e.g. one written by
 * `bench/cpu-sleepers.ts --prof <dir>`:
 *   node .tmp/bench-build/bench/profile-summary.js <file.cpuprofile> [top=30]
 * Times are sampled wall time while the process was not idle: a call blocked in a system call
 * (an fsync in COMMIT) counts, though it uses no CPU.
 */
import { readFileSync } from "node:fs";
import { callSite } from "./lib/call-site.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArgument] = process.argv.slice(2);
if (!file) {
  console.error("usage: profile-summary <file.cpuprofile> [top]");
  process.exit(2);
}
const top = Number(topArgument ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, index) => {
  const micros = profile.timeDeltas[index] ?? 0;
  total += micros;
  const frame = nodes.get(id)!.callFrame;
  if (frame.functionName === "(idle)") {
    idle += micros;
    return;
  }
  const key = callSite(frame);
  self.set(key, (self.get(key) ?? 0) + micros);
});
const busy = total - idle;
console.log(`sampled ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s`);
for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1e3).toFixed(0).padStart(6)} ms  ${key}`);
}
