/**
 * crashEveryStep: the proof a workflow survives a crash at any step, in milliseconds.
 *
 * It runs the workflow once cleanly and notes the steps it records. Then, for every step and for
 * each of the two moments that matter — after the step's function returned but before its result
 * was recorded, and right after it was recorded — it runs the workflow afresh, kills the process
 * there (in-memory state gone, the store intact), lets a new process recover it, and runs it to
 * the end. Each run is compared with the clean one.
 */
import type { AnyFunction } from "../engine/commands.js";
import { decodeValue } from "../protocol/codec.js";
import type { Value } from "../protocol/records.js";
import type { Request } from "../protocol/requests.js";
import { TAG } from "../protocol/tags.js";
import type { Reprise } from "../sdk/reprise.js";
import type { Interception } from "./test-transport.js";
import { TestReprise } from "./test-reprise.js";

export type CrashPoint = "before-record" | "after-record";

export interface CrashEveryStepOptions {
  /** Sets dependencies (and registers other functions) in each process, the recovering ones too. */
  setup?: (reprise: Reprise) => void | Promise<void>;
  /** The name the workflow is registered under. Default: its function name. */
  name?: string;
  /** The execution id. Default `crash-every-step`. */
  id?: string;
  /**
   * Puts the world the steps change back as it was before a run (a fresh database, an empty
   * ledger). Called before the clean run and before each crashed run.
   */
  reset?: () => void | Promise<void>;
  /**
   * Reads the state of that world after a run (rows, balances): a crashed run that leaves it
   * different from the clean run did an effect twice, and the step that was re-run is named.
   */
  observe?: () => unknown;
  /**
   * What the outside world does while the run is in progress: resolve the promises the workflow
   * waits on (an approval, a cancel, the next event), as a person or another system would.
   * Called once per run, the clean one and each crashed one, right after the execution starts;
   * the run goes on to the end once it returns. Wait for the workflow with
   * `test.waitForPromise(id)` (or `test.until`) and act with `test.resolve(id, value)`: a crash may
   * come while it runs, and these carry on in the process that replaces the dead one (the
   * process behind `test.reprise` may be the dead one).
   */
  drive?: (test: TestReprise) => Promise<void>;
}

export interface StepRecord {
  /** The step's durable promise id, e.g. `crash-every-step.3`. */
  id: string;
  /** The step's function name. */
  func: string;
}

export interface CrashProblem {
  kind: "different-result" | "divergence" | "non-idempotent" | "not-recovered";
  step: StepRecord;
  /** Where the process was killed; "none" for the clean run (a workflow that diverges on its own, at a resumption). */
  crash: CrashPoint | "none";
  detail: string;
}

export interface CrashReport {
  /** The steps of the clean run, in the order they were recorded. */
  steps: StepRecord[];
  /** Crashed runs made (two per step). */
  runs: number;
  problems: CrashProblem[];
  /**
   * Crashed runs that ended in a Panic the clean run did not: the workflow stopping for an
   * operator by its own design (e.g. Write Last, Read First's ordering panic when the process dies
   * between the ledger write and its checkpoint). Not a problem of the engine; worth a look.
   */
  halts: Array<{ step: StepRecord; crash: CrashPoint; message: string }>;
  /**
   * Steps that returned something else when run again after a crash before their result was
   * recorded: fine for a fresh id (nothing saw the first one) or for an idempotent write that
   * answers "exists" the second time; when the effect itself happened twice, `observe` says so.
   * The run's result is compared with the clean one only where no step changed its answer.
   */
  reruns: Array<{ step: StepRecord; first: unknown; second: unknown }>;
}

/** What a run ended with; a DivergenceError keeps its `position` (the id of the call where the histories part). */
type Outcome = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string; position?: string } };

export async function crashEveryStep<A extends unknown[]>(
  workflow: (ctx: never, ...args: A) => unknown,
  args: A,
  options: CrashEveryStepOptions = {},
): Promise<CrashReport> {
  const name = options.name ?? workflow.name;
  if (!name) throw new TypeError("crashEveryStep: the workflow has no name; pass options.name");
  const id = options.id ?? "crash-every-step";

  await options.reset?.();
  const steps: StepRecord[] = [];
  const cleanValues = new Map<string, string>();
  const clean = await runOnce(workflow as AnyFunction, name, id, args, options, (req) => {
    const recorded = stepRecordIn(req);
    if (recorded) {
      steps.push(recorded.step);
      cleanValues.set(recorded.step.id, json(decodeValue(recorded.value)));
    }
    return "deliver";
  });
  const cleanWorld = await options.observe?.();

  const report: CrashReport = { steps, runs: 0, problems: [], halts: [], reruns: [] };
  // A body that replays differently diverges at its first resumption even without a crash.
  if (!clean.outcome.ok && clean.outcome.error.name === "DivergenceError") {
    const position = clean.outcome.error.position ?? id;
    const step = steps.find((recorded) => recorded.id === position) ?? { id: position, func: "(the call at that position)" };
    report.problems.push({ kind: "divergence", step, crash: "none", detail: clean.outcome.error.message });
  }
  for (let index = 0; index < steps.length; index++) {
    for (const crash of ["before-record", "after-record"] as const) {
      const step = steps[index]!;
      await options.reset?.();
      report.runs++;
      let seen = 0;
      let first: Value | undefined;
      /** Whether every step recorded what it recorded in the clean run (else the results are not comparable). */
      let sameSteps = true;
      let run: RunResult;
      try {
        run = await runOnce(workflow as AnyFunction, name, id, args, options, (req) => {
          const recorded = stepRecordIn(req);
          if (!recorded) return "deliver";
          if (cleanValues.get(recorded.step.id) !== json(decodeValue(recorded.value))) sameSteps = false;
          seen++;
          if (seen - 1 !== index) return "deliver";
          first = recorded.value;
          return crash === "before-record" ? "crash-before" : "crash-after";
        }, step.id);
      } catch (error) {
        report.problems.push({ kind: "not-recovered", step, crash, detail: (error as Error).message });
        continue;
      }
      const second = run.probed;
      const changedAnswer = crash === "before-record" && first !== undefined && second !== undefined && !sameJson(decodeValue(first), decodeValue(second));
      if (changedAnswer) report.reruns.push({ step, first: decodeValue(first), second: decodeValue(second) });
      compare(report, step, crash, clean.outcome, run.outcome, changedAnswer || !sameSteps);
      if (options.observe) {
        const world = await options.observe();
        if (!sameJson(world, cleanWorld)) {
          report.problems.push({
            kind: "non-idempotent",
            step,
            crash,
            detail: `after a crash ${crash === "before-record" ? "before its result was recorded" : "after its result was recorded"}, ${step.func} ran again and left the world as ${json(world)} instead of ${json(cleanWorld)}`,
          });
        }
      }
    }
  }
  return report;
}

interface RunResult {
  outcome: Outcome;
  /** The stored value of the probed step at the end of the run. */
  probed?: Value;
}

async function runOnce(
  workflow: AnyFunction,
  name: string,
  id: string,
  args: unknown[],
  options: CrashEveryStepOptions,
  intercept: (req: Request) => Interception,
  probe?: string,
): Promise<RunResult> {
  let crashed = false;
  const test = new TestReprise({
    setup: async (reprise) => {
      reprise.register(name, workflow);
      await options.setup?.(reprise);
    },
    // One crash per run; the test replaces the killed process on its next step (see TestReprise).
    intercept: (req) => {
      if (crashed) return "deliver";
      const decision = intercept(req);
      if (decision !== "deliver") crashed = true;
      return decision;
    },
  });
  try {
    await test.ready();
    await test.reprise.beginRun(id, name, ...args);
    try {
      await options.drive?.(test);
    } catch (error) {
      // The run may have ended before the world could act (a divergence, a failure): then what it
      // waited for never comes, and the outcome below says why.
      if ((await test.record(id))?.state === "pending") throw error;
    }
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: await test.result(id) };
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("TestReprise:")) throw error;
      const { name: errorName, message, position } = error as Error & { position?: unknown };
      outcome = { ok: false, error: { name: errorName, message, ...(typeof position === "string" ? { position } : {}) } };
    }
    const probed = probe === undefined ? undefined : (await test.record(probe))?.value;
    return { outcome, probed };
  } finally {
    await test.stop();
  }
}

/**
 * `incomparable`: a step of this run recorded another value than in the clean run (a fresh id, an
 * "exists" answer after a crash), so its result may legitimately differ; divergences and halts
 * are still reported.
 */
function compare(report: CrashReport, step: StepRecord, crash: CrashPoint, clean: Outcome, run: Outcome, incomparable: boolean): void {
  if (!run.ok && run.error.name === "DivergenceError") {
    report.problems.push({ kind: "divergence", step, crash, detail: run.error.message });
    return;
  }
  if (sameOutcome(clean, run)) return;
  if (!run.ok && run.error.name === "PanicError" && (clean.ok || clean.error.name !== "PanicError")) {
    report.halts.push({ step, crash, message: run.error.message });
    return;
  }
  if (incomparable) return;
  report.problems.push({ kind: "different-result", step, crash, detail: `the clean run ended with ${describe(clean)}, this one with ${describe(run)}` });
}

/** The step a request records, and the value, when it is a step's result written in one go. */
function stepRecordIn(req: Request): { step: StepRecord; value: Value } | undefined {
  if (req.kind !== "task.fence" || req.data.action.kind !== "promise.create") return undefined;
  const data = req.data.action.data;
  if (data.result === undefined || data.tags?.[TAG.kind] !== "step") return undefined;
  return { step: { id: data.id, func: data.tags[TAG.func] ?? "anonymous" }, value: data.result.value };
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.ok && b.ok) return sameJson(a.value, b.value);
  if (!a.ok && !b.ok) return a.error.name === b.error.name && a.error.message === b.error.message;
  return false;
}

function describe(outcome: Outcome): string {
  return outcome.ok ? `the value ${json(outcome.value)}` : `${outcome.error.name}: ${outcome.error.message}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return json(a) === json(b);
}

function json(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner)) ?? "undefined";
}
