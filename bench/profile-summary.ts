/**
 * The top self times of a `node --cpu-prof` profile, e.g. one written by
 * `bench/cpu-sleepers.ts --prof <dir>`:
 *   node .tmp/bench-build/bench/profile-summary.js <file.cpuprofile> [top=30]
 * Times are sampled wall time while the process was not idle: a call blocked in a system call
 * (an fsync in COMMIT) counts, though it uses no CPU.
 */
import { readFileSync } from "node:fs";

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
  const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
  if (functionName === "(idle)") {
    idle += micros;
    return;
  }
  const where = url.replace(/^.*\/(bench-build|node_modules)\//, "");
  const key = `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + micros);
});
const busy = total - idle;
console.log(`sampled ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s`);
for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1e3).toFixed(0).padStart(6)} ms  ${key}`);
}
