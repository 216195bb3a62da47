/**
 * What an embedded W1 step allocates, in its own process:
 *   node --import tsx bench/allocation.ts --workflows 500 --steps 10 --runs 5
 * After the usual warm-up rounds, V8's sampling heap profiler runs through `--runs` rounds of
 * embedded W1 at FULL, counting the objects the collector freed as well as those still alive.
 * Bytes per step move with the code, not with the machine: wall time here drifts by tens of
 * percent within minutes, so a change to the hot path too small to see in steps/s still shows
 * here, and so does the collector's share of the work it causes. Prints
 * `BENCH {"type":"result","bytesPerStep":…,"top":[{site,bytesPerStep}…]}`.
 */
import { Session } from "node:inspector/promises";
import type { HeapProfiler } from "node:inspector";
import { callSite } from "./lib/call-site.js";
import { childMain, emit, flag } from "./lib/child.js";
import { embeddedRound, warmUpFrom, warmUpWith, type RoundFigures, type Workload } from "./lib/workload.js";

/** One sample per this many bytes allocated, on average (V8's default is 32 KiB: too coarse for one step). */
const SAMPLING_INTERVAL = 512;
/** Allocation sites listed, by bytes (`--top N` for more when hunting). */
const TOP = 10;

/** V8 knows these two; the typings of Node 20 do not list them yet. */
interface SamplingParameters extends HeapProfiler.StartSamplingParameterType {
  includeObjectsCollectedByMajorGC: boolean;
  includeObjectsCollectedByMinorGC: boolean;
}

childMain(async () => {
  const workload: Workload = { workflows: Number(flag("workflows", "500")), steps: Number(flag("steps", "10")) };
  const runs = Number(flag("runs", "5"));
  const topSites = Number(flag("top", String(TOP)));
  let round = 0;
  const oneRound = (): Promise<RoundFigures> => embeddedRound(workload, "FULL", `w-${round++}`);
  await warmUpWith(warmUpFrom(flag), oneRound);

  const session = new Session();
  session.connect();
  const parameters: SamplingParameters = { samplingInterval: SAMPLING_INTERVAL, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
  await session.post("HeapProfiler.startSampling", parameters);
  // Setting up and closing each round's Reprise is sampled too: it is part of every round, as in W1's rows.
  for (let n = 0; n < runs; n++) await oneRound();
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();

  const steps = runs * workload.workflows * workload.steps;
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapProfiler.SamplingHeapProfileNode): void => {
    const site = callSite(node.callFrame);
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const top = [...bySite]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topSites)
    .map(([site, bytes]) => ({ site, bytesPerStep: Math.round(bytes / steps) }));
  emit("result", { bytesPerStep: Math.round(total / steps), steps, top });
  process.exit(0);
});
