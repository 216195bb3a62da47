/** W1 / W2 and how a Reprise instance runs them: shared by the embedded child and the HTTP worker. */
import { Reprise } from "../../src/index.js";
import { openStore } from "../../src/store/index.js";

export type Sync = "FULL" | "NORMAL";

export interface Workload {
  /** Workflows started together. W1: 500; W2: 1. */
  workflows: number;
  /** Sequential trivial steps in each. W1: 10; W2: 200. */
  steps: number;
}

export interface RoundFigures {
  seconds: number;
  steps: number;
  stepsPerSecond: number;
  /** Wall-clock ms since the epoch, so rounds in several processes can be put on one time line. */
  startedAt: number;
  endedAt: number;
}

/**
 * An embedded Reprise on a SQLite file at `synchronous` = FULL (survives power loss) or NORMAL
 * (survives a process crash). Today the setting is passed through a Store we open ourselves.
 * When `new Reprise({ durability })` lands on main, this function body becomes the one line:
 *   return new Reprise({ store: path, durability: sync === "FULL" ? "power-loss" : "process-crash" });
 */
export async function embeddedReprise(path: string, sync: Sync): Promise<Reprise> {
  return new Reprise({ store: await openStore(path, { sqlite: { synchronous: sync } }) });
}

/**
 * Starts `workflows` executions at once and waits for every result, through `reprise.run`: what a
 * user calling the API sees (start, run, durable result, result delivered to the caller).
 */
export async function runWorkload(reprise: Reprise, workload: Workload, idPrefix: string): Promise<RoundFigures> {
  const startedAt = Date.now();
  const started = performance.now();
  await Promise.all(Array.from({ length: workload.workflows }, (_, i) => reprise.run(`${idPrefix}-${i}`, "sequential", workload.steps)));
  const seconds = (performance.now() - started) / 1000;
  const steps = workload.workflows * workload.steps;
  return { seconds, steps, stepsPerSecond: steps / seconds, startedAt, endedAt: Date.now() };
}
