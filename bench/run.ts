/**
 * `npm run bench`: every figure of docs/performance.md in one run, printed as a table and as one
 * JSON line, and written to bench/results/<YYYY-MM-DD>[-n].json.
 *
 *   npm run bench                       the full bench (bounded: it stops itself after 15 minutes)
 *   npm run bench -- --quick            a much smaller version of everything (a smoke test)
 *   npm run bench -- --only <sections>  some sections, comma-separated: floors, embedded, server, cluster, sleepers, recovery, shared-file
 *   --sleepers N (default 100000; quick 10000)   --recovery N (default 10000; quick 1000)
 *   --runs N (default 3; quick 1)       measured rounds per figure, after warm-up rounds (see WARM_UP)
 *   --tsx                               children run the TypeScript sources through tsx (no tsc build)
 *   REPRISE_PG_URL (default postgres://postgres@127.0.0.1:5432/test)
 *
 * This process only orchestrates: every Reprise configuration, server, worker and floor runs in a
 * fresh child process (bench/<scenario>.ts), so one scenario's heap and JIT state never leak into
 * another. Every child is SIGKILLed when this process exits.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { execFileSync } from "node:child_process";
import { Child, killAll, median, rssMiB, useCompiled, type Message } from "./lib/child.js";
import { checkGoals, RECOVERY_GOAL, SLEEPERS_GOAL, type GoalCheck, type GoalInputs } from "./lib/goals.js";
import { SuspendedCounter, waitForCount } from "./lib/start-all.js";
import { measureRounds, QUICK_WARM_UP, WARM_UP, warmUpFlags, type RoundFigures, type Workload } from "./lib/workload.js";

// ---- flags ----

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const option = (name: string): string | undefined => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : undefined;
};
const SECTIONS = ["floors", "embedded", "server", "cluster", "sleepers", "recovery", "shared-file"] as const;
type Section = (typeof SECTIONS)[number];
/** `--only server` or `--only floors,server`: the sections to run (all when not given). */
const only = option("only")?.split(",");
const unknownSection = only?.find((name) => !(SECTIONS as readonly string[]).includes(name));
if (unknownSection !== undefined) {
  console.error(`--only: expected sections among ${SECTIONS.join(", ")} (comma-separated), got ${unknownSection}`);
  process.exit(2);
}
const runs = Number(option("runs") ?? (quick ? 1 : 3));
/** Warm-up rounds before each figure's measured ones (see WARM_UP). */
const warmUp = quick ? QUICK_WARM_UP : WARM_UP;
const W1 = quick ? { workflows: 50, steps: 10 } : { workflows: 500, steps: 10 };
const W2 = quick ? { workflows: 1, steps: 40 } : { workflows: 1, steps: 200 };
const CLUSTER_WORKERS = 4;
/** Children per configuration in the rows measured in turns (see inTurns), and measured rounds in each. */
const TURNS = quick ? 1 : 5;
const TURN_RUNS = quick ? 1 : Math.max(runs, 10);
const sleepers = Number(option("sleepers") ?? (quick ? 10_000 : 100_000));
const recoveryCount = Number(option("recovery") ?? (quick ? 1_000 : 10_000));
/** Rounds of each shared-file latency (rpc, resume). */
const SHARED_FILE_ROUNDS = quick ? 5 : 20;
const FLOOR = quick ? { rows: 500, seqRows: 40, batch: 100, fsyncOps: 200 } : { rows: 5_000, seqRows: 200, batch: 500, fsyncOps: 1_000 };
const PG_URL = process.env.REPRISE_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const STAMP = `${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${process.pid}`;
/** The whole bench stops itself after this, killing its children and writing what it has. */
const DEADLINE_MS = quick ? 5 * 60_000 : 15 * 60_000;
/** Measured rounds of one figure stop once the next would end past this (at least one is measured). */
const ROUND_BUDGET_MS = quick ? 30_000 : 120_000;
const wanted = (section: Section) => only === undefined || only.includes(section);

// ---- the code the children run ----

const ROOT = fileURLToPath(new URL("../", import.meta.url));
if (!argv.includes("--tsx")) {
  // Compiled once, as a production build is: the children then run plain JavaScript.
  const built = performance.now();
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.bench.json")], { cwd: ROOT, stdio: "inherit" });
  useCompiled(join(ROOT, ".tmp/bench-build"));
  console.log(`compiled the library and the bench with tsc (${((performance.now() - built) / 1000).toFixed(1)} s); children run that JavaScript (--tsx runs the sources instead)`);
}

// ---- results ----

interface Row {
  section: Section;
  benchmark: string;
  stepsPerSecond?: number;
  /** W2: wall time per step; W1: wall time of the whole round. */
  msPerStep?: number;
  seconds?: number;
  /** Percentages of the relevant floor, rows/s at the same durability. */
  pctOfFloorPerCommit?: number;
  pctOfFloorGrouped?: number;
  /** W2 on SQLite: of the one-commit-per-row floor on a file whose log was pre-sized first, as Reprise's is. */
  pctOfPresizedFloor?: number;
  floorNames?: string[];
  note?: string;
  rounds?: number[];
}

const results = {
  timestamp: new Date().toISOString(),
  quick,
  only: only?.join(",") ?? null,
  host: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, platform: process.platform },
  config: { runs, warmUp, W1, W2, clusterWorkers: CLUSTER_WORKERS, clusterServers: 2, sleepers, recovery: recoveryCount, floor: FLOOR },
  durability: {
    embedded: "SQLite WAL; each row says synchronous=FULL (survives power loss) or NORMAL (survives a process crash)",
    serverSqlite: "SQLite WAL, synchronous=FULL (the server's default durability, power-loss)",
    postgres: "PostgreSQL with its defaults (synchronous_commit=on, fsync=on)",
  },
  floors: {} as Record<string, Record<string, number> | { error: string }>,
  rows: [] as Row[],
  sleepers: {} as Record<string, unknown>,
  recovery: {} as Record<string, unknown>,
  sharedFile: {} as Record<string, Record<string, number>>,
  /** What an embedded W1 step at FULL allocates, and where (bench/allocation.ts). */
  allocation: undefined as { bytesPerStep: number; top: AllocationSite[] } | undefined,
  /** Each speed goal judged by this run's figures and floors (bench/lib/goals.ts). */
  goals: [] as GoalCheck[],
  skipped: [] as string[],
  errors: [] as string[],
  incomplete: false,
};

/** The goals' figures measured in pairs or turns, kept as the sections measure them (see goalsOfThisRun). */
const goalInputs: GoalInputs = {};

interface AllocationSite {
  site: string;
  bytesPerStep: number;
}

/** The object without its undefined fields (console.table prints them as "undefined"). */
const compact = <T extends Record<string, unknown>>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
const round = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? undefined : Number(n.toFixed(digits)));
const pct = (value: number | undefined, floor: number | undefined) => (value === undefined || !floor ? undefined : round((100 * value) / floor, 1));

function floorOf(name: string, key: "perRowSeq" | "perRowSeqPresized" | "perRow" | "grouped"): number | undefined {
  const floor = results.floors[name];
  return floor && !("error" in floor) ? floor[key] : undefined;
}

/** A Reprise row, with its percentages of the floors at the same durability. */
function addRow(section: Section, benchmark: string, roundsFigures: RoundFigures[], floorName: string, workload: "W1" | "W2", note?: string): Row {
  const stepsPerSecond = median(roundsFigures.map((r) => r.stepsPerSecond));
  const seconds = median(roundsFigures.map((r) => r.seconds));
  const row: Row = {
    section,
    benchmark,
    stepsPerSecond: round(stepsPerSecond, 0),
    seconds: round(seconds, 3),
    msPerStep: round(1000 / stepsPerSecond, 3),
    rounds: roundsFigures.map((r) => round(r.stepsPerSecond, 0)!),
    ...(note ? { note } : {}),
  };
  if (workload === "W2") {
    row.pctOfFloorPerCommit = pct(stepsPerSecond, floorOf(floorName, "perRowSeq"));
    row.pctOfPresizedFloor = pct(stepsPerSecond, floorOf(floorName, "perRowSeqPresized"));
    row.floorNames = [`${floorName} one commit per row, ${FLOOR.seqRows} rows`];
    if (row.pctOfPresizedFloor !== undefined) row.floorNames.push(`${floorName} the same, log pre-sized`);
  } else {
    row.pctOfFloorPerCommit = pct(stepsPerSecond, floorOf(floorName, "perRow"));
    row.pctOfFloorGrouped = pct(stepsPerSecond, floorOf(floorName, "grouped"));
    row.floorNames = [`${floorName} one commit per row, ${FLOOR.rows} rows`, `${floorName} one commit per ${FLOOR.batch} rows`];
  }
  results.rows.push(row);
  return row;
}

function fail(where: string, error: unknown): void {
  const message = `${where}: ${error instanceof Error ? error.message : String(error)}`;
  results.errors.push(message);
  console.log(`  ! ${message.split("\n")[0]}`);
}

// ---- helpers ----

const tempDirs: string[] = [];
function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `reprise-bench-${label}-`));
  tempDirs.push(dir);
  return dir;
}

/** Runs `script` in a child until it reports its result, then kills it. */
async function resultOf(name: string, script: string, args: string[], timeoutMs: number): Promise<Message> {
  const child = new Child(name, script, args);
  const result = await child.next("result", timeoutMs);
  await child.kill();
  return result;
}

/** The rounds of a child that measures `workload` in-process (`flags` first, then the workload's). */
async function roundsOf(name: string, script: string, workload: Workload, flags: string[] = [], measured = runs): Promise<RoundFigures[]> {
  const args = [...flags, "--workflows", String(workload.workflows), "--steps", String(workload.steps), "--runs", String(measured), "--budget-ms", String(ROUND_BUDGET_MS), ...warmUpFlags(warmUp)];
  return (await resultOf(name, script, args, 240_000)).rounds as RoundFigures[];
}

async function pgReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

const schemas: string[] = [];
function freshSchema(label: string): string {
  const schema = `reprise_bench_${STAMP}_${label}`;
  schemas.push(schema);
  return schema;
}

async function dropSchemas(): Promise<void> {
  if (!schemas.length) return;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } catch (error) {
    fail("dropping the bench's PostgreSQL schemas", error);
  } finally {
    await client.end().catch(() => {});
  }
}

const pgUrlFor = (schema: string) => `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}schema=${schema}`;

async function startServer(store: string, name: string): Promise<{ child: Child; url: string }> {
  const child = new Child(name, "serve.ts", ["--store", store]);
  const listening = await child.next("listening", 30_000);
  return { child, url: String(listening.url) };
}

async function startWorker(url: string, name: string, group = "bench"): Promise<Child> {
  const child = new Child(name, "worker.ts", ["--url", url, "--group", group]);
  await child.next("ready", 30_000);
  return child;
}

/**
 * Warm-up rounds (see WARM_UP), then up to `runs` rounds (see anotherRound) of the workload on
 * `workers` at once, each worker running `workflows / workers` of them. A round's time runs from
 * the first worker's start to the last worker's end.
 */
async function serverRounds(workers: Child[], workload: { workflows: number; steps: number }, label: string, timeoutMs: number): Promise<RoundFigures[]> {
  const share = Math.ceil(workload.workflows / workers.length);
  const { rounds } = await measureRounds(warmUp, runs, ROUND_BUDGET_MS, async (r) => {
    workers.forEach((w, i) => w.send({ op: "run", workflows: share, steps: workload.steps, prefix: `${label}-${r}-${i}` }));
    const each = await Promise.all(workers.map((w) => w.next("ran", timeoutMs)));
    const startedAt = Math.min(...each.map((m) => Number(m.startedAt)));
    const endedAt = Math.max(...each.map((m) => Number(m.endedAt)));
    const steps = share * workers.length * workload.steps;
    const seconds = (endedAt - startedAt) / 1000;
    return { seconds, steps, stepsPerSecond: steps / seconds, startedAt, endedAt };
  });
  return rounds;
}

// ---- sections ----

async function floors(): Promise<void> {
  console.log("floors: bare better-sqlite3 (WAL) at FULL and NORMAL, bare pg, fdatasync of 4 KiB");
  const common = ["--rows", String(FLOOR.rows), "--seq-rows", String(FLOOR.seqRows), "--batch", String(FLOOR.batch), "--runs", String(runs)];
  for (const sync of ["FULL", "NORMAL"] as const) {
    try {
      results.floors[`sqlite ${sync}`] = (await resultOf(`floor sqlite ${sync}`, "floors.ts", ["--kind", "sqlite", "--sync", sync, ...common], 120_000)).figures as Record<string, number>;
    } catch (error) {
      results.floors[`sqlite ${sync}`] = { error: String(error) };
      fail(`floor sqlite ${sync}`, error);
    }
  }
  const down = await pgReachable();
  if (down) {
    results.skipped.push(`pg floor: PostgreSQL unreachable at ${PG_URL} (${down})`);
  } else {
    try {
      results.floors.pg = (await resultOf("floor pg", "floors.ts", ["--kind", "pg", "--url", PG_URL, "--schema", freshSchema("floor"), ...common], 180_000)).figures as Record<string, number>;
    } catch (error) {
      results.floors.pg = { error: String(error) };
      fail("floor pg", error);
    }
  }
  try {
    results.floors.fdatasync = (await resultOf("floor fsync", "floors.ts", ["--kind", "fsync", "--ops", String(FLOOR.fsyncOps), "--runs", String(runs)], 60_000)).figures as Record<string, number>;
  } catch (error) {
    results.floors.fdatasync = { error: String(error) };
    fail("floor fdatasync", error);
  }
}

/** @resonatehq/sdk's local mode (in memory, not durable) on W1 and W2: the goals are stated against it. */
const resonateLocal: Partial<Record<"W1" | "W2", number>> = {};

async function embedded(): Promise<void> {
  console.log("embedded SQLite: W1 and W2 at FULL and NORMAL, each configuration in a fresh process; @resonatehq/sdk local mode beside them; then W2 at FULL round by round with its floor and W1 at FULL in turns with @resonatehq/sdk local mode (the goals' ratios), and W1 with the determinism guard on");
  for (const [name, workload] of [["W1", W1], ["W2", W2]] as const) {
    const label = `@resonatehq/sdk local mode (in memory, NOT durable): ${name} (${workload.workflows} x ${workload.steps} steps)`;
    try {
      const rounds = await roundsOf(label, "resonate-local.ts", workload);
      resonateLocal[name] = median(rounds.map((r) => r.stepsPerSecond));
      addRow("embedded", label, rounds, "none", name, "the reference the goals name");
    } catch (error) {
      fail(label, error);
    }
  }
  for (const sync of ["FULL", "NORMAL"] as const) {
    for (const [name, workload] of [["W1", W1], ["W2", W2]] as const) {
      const label = `embedded SQLite ${sync}: ${name} (${workload.workflows} x ${workload.steps} steps)`;
      try {
        const rounds = await roundsOf(label, "embedded.ts", workload, ["--sync", sync]);
        const local = resonateLocal[name];
        const ratio = local ? `x${(median(rounds.map((r) => r.stepsPerSecond)) / local).toFixed(2)} @resonatehq/sdk local mode` : undefined;
        addRow("embedded", label, rounds, `sqlite ${sync}`, name, ratio);
        if (sync === "FULL" && name === "W1") {
          await storeAlone(median(rounds.map((r) => r.stepsPerSecond)));
          await allocation();
        }
      } catch (error) {
        fail(label, error);
      }
    }
  }
  // The W1 goal is a ratio to @resonatehq/sdk's local mode, and this machine's speed drifts by
  // tens of percent within minutes: rows measured a minute apart can move the ratio by x0.5. So
  // the ratio the goal is judged by comes from children of the two taking turns, a drift falling
  // on both alike.
  const paired = await inTurns({
    resonate: { label: `@resonatehq/sdk local mode (in memory, NOT durable): W1 (${W1.workflows} x ${W1.steps} steps), in turns with the row below`, script: "resonate-local.ts", flags: [] },
    reprise: { label: `embedded SQLite FULL: W1 (${W1.workflows} x ${W1.steps} steps), in turns with the row above`, script: "embedded.ts", flags: ["--sync", "FULL"] },
  });
  if (paired) {
    const local = median(paired.resonate.rounds.map((r) => r.stepsPerSecond));
    const ours = median(paired.reprise.rounds.map((r) => r.stepsPerSecond));
    const perTurn = paired.reprise.turns.map((turn, n) => (median(turn.map((r) => r.stepsPerSecond)) / median(paired.resonate.turns[n]!.map((r) => r.stepsPerSecond))).toFixed(2));
    addRow("embedded", paired.resonate.label, paired.resonate.rounds, "none", "W1", "the reference of the row below");
    addRow("embedded", paired.reprise.label, paired.reprise.rounds, "sqlite FULL", "W1", `x${(ours / local).toFixed(2)} @resonatehq/sdk local mode in the same turns (the W1 goal's figure); turn by turn x${perTurn.join(", x")}`);
    goalInputs.w1InTurns = { reprise: ours, resonate: local };
  }
  await w2PairedWithFloor();
  // Every row above runs with the determinism guard off (production's default). These two say what
  // turning it on ("warn", the default outside production) costs on W1 at FULL, in turns as well.
  const guard = await inTurns({
    off: { label: `embedded SQLite FULL: W1 (${W1.workflows} x ${W1.steps} steps), determinism guard off, in turns`, script: "embedded.ts", flags: ["--sync", "FULL", "--determinism", "off"] },
    warn: { label: `embedded SQLite FULL: W1 (${W1.workflows} x ${W1.steps} steps), determinism guard ON ("warn"), in turns`, script: "embedded.ts", flags: ["--sync", "FULL", "--determinism", "warn"] },
  });
  if (guard) {
    const off = median(guard.off.rounds.map((r) => r.stepsPerSecond));
    const on = median(guard.warn.rounds.map((r) => r.stepsPerSecond));
    addRow("embedded", guard.off.label, guard.off.rounds, "sqlite FULL", "W1", "the guard-on row's reference");
    const extra = 100 * (off / on - 1);
    addRow("embedded", guard.warn.label, guard.warn.rounds, "sqlite FULL", "W1", `x${(on / off).toFixed(2)} the guard off (row above): ${extra >= 0 ? "+" : ""}${extra.toFixed(1)}% time per step`);
  }
}

/**
 * The W2 goal is a ratio to the one-commit-per-row floor, and this machine's disk drifts more
 * than its processor (the floor read 3,644 and 1,564 rows/s in two runs forty minutes apart on 2026-12-02): so the
 * ratio the goal is judged by comes from rounds of W2 at FULL each paired with a floor round in
 * the same process (bench/embedded.ts --paired-floor), within a second of each other.
 */
async function w2PairedWithFloor(): Promise<void> {
  const label = `embedded SQLite FULL: W2 (${W2.workflows} x ${W2.steps} steps), each round paired with a floor round`;
  const floorLabel = `floor: bare better-sqlite3 FULL, one commit per row (${W2.workflows * W2.steps} rows), log pre-sized, paired round by round with the row below`;
  try {
    const args = ["--sync", "FULL", "--paired-floor", "--workflows", String(W2.workflows), "--steps", String(W2.steps), "--runs", String(TURN_RUNS), "--budget-ms", String(ROUND_BUDGET_MS), ...warmUpFlags(warmUp)];
    const result = await resultOf(label, "embedded.ts", args, 240_000);
    const rounds = result.rounds as RoundFigures[];
    const floorRounds = result.floorRounds as RoundFigures[];
    const perPair = rounds.map((r, n) => (100 * r.stepsPerSecond) / floorRounds[n]!.stepsPerSecond);
    goalInputs.w2Paired = { reprise: median(rounds.map((r) => r.stepsPerSecond)), floor: median(floorRounds.map((r) => r.stepsPerSecond)) };
    const ratio = (100 * goalInputs.w2Paired.reprise) / goalInputs.w2Paired.floor;
    addRow("embedded", floorLabel, floorRounds, "none", "W2", "the reference of the row below");
    addRow("embedded", label, rounds, "sqlite FULL", "W2", `${ratio.toFixed(1)}% of the floor in the same pairs (the W2 goal's figure); pair by pair ${perPair.map((p) => p.toFixed(0)).join(", ")}%`);
  } catch (error) {
    fail(label, error);
  }
}

interface TurnTaker {
  label: string;
  script: string;
  flags: string[];
}

/**
 * W1 in children of each configuration taking turns (one of each, TURNS times over, each with
 * its own warm-up and TURN_RUNS measured rounds), so a change in the machine's speed while they
 * run falls on all of them. Returns each configuration's rounds, by turn and together, or
 * undefined when no turn measured them all (the failures are reported).
 */
async function inTurns<K extends string>(takers: Record<K, TurnTaker>): Promise<Record<K, TurnTaker & TurnsMeasured> | undefined> {
  const keys = Object.keys(takers) as K[];
  const turns = new Map<K, RoundFigures[][]>(keys.map((key) => [key, []]));
  for (let turn = 0; turn < TURNS; turn++) {
    const measured = new Map<K, RoundFigures[]>();
    for (const key of keys) {
      const { label, script, flags } = takers[key];
      try {
        measured.set(key, await roundsOf(label, script, W1, flags, TURN_RUNS));
      } catch (error) {
        fail(label, error);
      }
    }
    // A turn counts only when every configuration measured in it.
    if (keys.every((key) => measured.has(key))) for (const key of keys) turns.get(key)!.push(measured.get(key)!);
  }
  if (keys.some((key) => turns.get(key)!.length === 0)) return undefined;
  return Object.fromEntries(keys.map((key) => [key, { ...takers[key], turns: turns.get(key)!, rounds: turns.get(key)!.flat() }])) as Record<K, TurnTaker & TurnsMeasured>;
}

interface TurnsMeasured {
  /** Each turn's measured rounds, in order. */
  turns: RoundFigures[][];
  /** Every turn's rounds together. */
  rounds: RoundFigures[];
}

/**
 * W1's requests applied straight to the store (bench/store-alone.ts) at FULL, beside the embedded
 * W1 row (`embedded`, its steps/s): how a step's time splits between the store and the rest (the
 * engine, the SDK, the encoding of values).
 */
async function storeAlone(embedded: number): Promise<void> {
  const label = `embedded SQLite FULL: W1's requests (${W1.workflows} x ${W1.steps} steps) to the store alone, no engine`;
  try {
    const rounds = await roundsOf(label, "store-alone.ts", W1, ["--sync", "FULL"]);
    const storeUs = 1e6 / median(rounds.map((r) => r.stepsPerSecond));
    const totalUs = 1e6 / embedded;
    addRow("embedded", label, rounds, "sqlite FULL", "W1", `of the ${totalUs.toFixed(1)} µs of an embedded W1 step (row above), the store takes ${storeUs.toFixed(1)}, the rest ${(totalUs - storeUs).toFixed(1)}`);
  } catch (error) {
    fail(label, error);
  }
}

/**
 * What an embedded W1 step at FULL allocates (bench/allocation.ts): a figure of the code, not of
 * the machine's speed, so it compares across runs where steps/s cannot.
 */
async function allocation(): Promise<void> {
  const label = `embedded SQLite FULL: W1 (${W1.workflows} x ${W1.steps} steps), bytes allocated per step`;
  try {
    const args = ["--workflows", String(W1.workflows), "--steps", String(W1.steps), "--runs", String(Math.max(runs, 3)), ...warmUpFlags(warmUp)];
    const result = await resultOf(label, "allocation.ts", args, 240_000);
    results.allocation = { bytesPerStep: Number(result.bytesPerStep), top: result.top as AllocationSite[] };
  } catch (error) {
    fail(label, error);
  }
}

async function server(): Promise<void> {
  console.log("server: one server process, one HTTP worker process, W1 and W2, on SQLite and on PostgreSQL");
  const down = await pgReachable();
  const stores: Array<[string, () => string, string]> = [["SQLite", () => join(tempDir("server"), "server.db"), "sqlite FULL"]];
  if (down) results.skipped.push(`server on PostgreSQL: unreachable at ${PG_URL} (${down})`);
  else stores.push(["PostgreSQL", () => pgUrlFor(freshSchema("server")), "pg"]);
  for (const [storeName, spec, floorName] of stores) {
    const children: Child[] = [];
    try {
      const { child, url } = await startServer(spec(), `server (${storeName})`);
      children.push(child);
      const worker = await startWorker(url, `worker (${storeName})`);
      children.push(worker);
      for (const [name, workload] of [["W1", W1], ["W2", W2]] as const) {
        const label = `server on ${storeName}, 1 worker: ${name} (${workload.workflows} x ${workload.steps} steps)`;
        try {
          addRow("server", label, await serverRounds([worker], workload, `${storeName}-${name}`, 300_000), floorName, name);
        } catch (error) {
          fail(label, error);
        }
      }
    } catch (error) {
      fail(`server on ${storeName}`, error);
    } finally {
      await Promise.all(children.map((c) => c.stop()));
    }
  }
  await dropSchemas();
}

async function cluster(): Promise<void> {
  console.log(`cluster: PostgreSQL, 2 server processes on one schema, ${CLUSTER_WORKERS} worker processes split across them, W1`);
  const down = await pgReachable();
  if (down) {
    results.skipped.push(`cluster on PostgreSQL: unreachable at ${PG_URL} (${down})`);
    return;
  }
  const children: Child[] = [];
  const label = `server on PostgreSQL, 2 servers + ${CLUSTER_WORKERS} workers: W1 (${W1.workflows} x ${W1.steps} steps)`;
  try {
    const store = pgUrlFor(freshSchema("cluster"));
    // One after the other: the first applies the migrations, the second finds them done.
    const a = await startServer(store, "server A");
    const b = await startServer(store, "server B");
    children.push(a.child, b.child);
    const workers = await Promise.all(Array.from({ length: CLUSTER_WORKERS }, (_, i) => startWorker(i % 2 ? b.url : a.url, `worker ${i}`)));
    children.push(...workers);
    const row = addRow("cluster", label, await serverRounds(workers, W1, "cluster", 300_000), "pg", "W1");
    const single = results.rows.find((r) => r.section === "server" && r.benchmark.startsWith("server on PostgreSQL, 1 worker: W1"));
    row.note = single?.stepsPerSecond
      ? `x${round(row.stepsPerSecond! / single.stepsPerSecond, 2)} the one-worker figure`
      : "ratio: run the server section too for the one-worker figure";
  } catch (error) {
    fail(label, error);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await dropSchemas();
  }
}

async function sleepersSection(): Promise<void> {
  // Past this, a figure is reported as "n of N suspended after t s" (today's engine may need it).
  const timeoutMs = quick ? 120_000 : 180_000;
  console.log(`sleepers: ${sleepers} workflows sleeping at once (one step, then a one-hour sleep), embedded and with a server`);
  const progress = (reached: number, timedOut: boolean, seconds: number) =>
    timedOut ? { timedOut: true, suspended: reached, note: `${reached} of ${sleepers} suspended after ${round(seconds, 0)} s` } : {};
  try {
    const path = join(tempDir("sleepers"), "sleepers.db");
    const child = new Child("sleepers (embedded)", "sleepers.ts", ["--db", path, "--count", String(sleepers)]);
    try {
      const begun = await child.next("begun", 60_000);
      const counter = new SuspendedCounter(path);
      try {
        const { at, reached, timedOut } = await waitForCount(() => counter.count(), sleepers, timeoutMs, 100);
        const rss = rssMiB(child.pid);
        const started = child.poll("started");
        results.sleepers.embedded = compact({
          count: sleepers,
          startSeconds: round(started?.seconds as number | undefined, 2),
          allSuspendedSeconds: timedOut ? undefined : round((at - Number(begun.at)) / 1000, 2),
          rssMiB: round(rss, 0),
          rssAtStartMiB: round(begun.rssBeforeMiB as number, 0),
          heapUsedMiB: round(started?.heapUsedMiB as number | undefined, 0),
          ...progress(reached, timedOut, (at - Number(begun.at)) / 1000),
        });
      } finally {
        counter.close();
      }
    } finally {
      await child.stop();
    }
  } catch (error) {
    fail("sleepers (embedded)", error);
  }

  const children: Child[] = [];
  try {
    const path = join(tempDir("sleepers-server"), "server.db");
    const { child, url } = await startServer(path, "sleepers server (SQLite)");
    children.push(child);
    const worker = await startWorker(url, "sleepers worker");
    children.push(worker);
    const serverRssAtStart = rssMiB(child.pid);
    const begunAt = Date.now();
    worker.send({ op: "sleepers", count: sleepers, prefix: "sleeper" });
    const counter = new SuspendedCounter(path);
    try {
      const { at, reached, timedOut } = await waitForCount(() => counter.count(), sleepers, timeoutMs, 100);
      const started = worker.poll("started");
      if (worker.poll("error")) throw new Error(`the worker failed:\n${worker.tail()}`);
      results.sleepers.server = compact({
        count: sleepers,
        store: "SQLite",
        startSeconds: round(started?.seconds as number | undefined, 2),
        allSuspendedSeconds: timedOut ? undefined : round((at - begunAt) / 1000, 2),
        serverRssMiB: round(rssMiB(child.pid), 0),
        serverRssAtStartMiB: round(serverRssAtStart, 0),
        workerRssMiB: round(rssMiB(worker.pid), 0),
        ...progress(reached, timedOut, (at - begunAt) / 1000),
      });
    } finally {
      counter.close();
    }
  } catch (error) {
    fail("sleepers (server)", error);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

/**
 * The storage alone on a copy of the killed process's file (bench/recovery-floor.ts), in its own
 * process first: the least a restart costs on this machine and disk, in ms from its process's
 * start, as Reprise's recovery is counted.
 */
async function recoveryFloor(db: string): Promise<{ floorMs: number } | { floorError: string }> {
  const copy = join(tempDir("recovery-floor"), "recovery.db");
  try {
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(db + suffix)) copyFileSync(db + suffix, copy + suffix);
    const result = await resultOf("recovery floor", "recovery-floor.ts", ["--db", copy], 120_000);
    return { floorMs: round(result.ms as number, 0)! };
  } catch (error) {
    return { floorError: String(error).split("\n")[0]! };
  }
}

interface RecoveryRound {
  msFromProcessStart: number;
  ms: number;
  msLoadingCode: number;
  startSeconds: number;
  floorMs?: number;
  floorError?: string;
}

/** One restart: `count` executions in flight, SIGKILL, the floor on a copy of the file, a fresh process. */
async function recoveryRound(timeoutMs: number): Promise<RecoveryRound | { timedOut: true; note: string }> {
  const db = join(tempDir("recovery"), "recovery.db");
  const args = ["--db", db, "--count", String(recoveryCount)];
  const first = new Child("recovery (first process)", "recovery.ts", ["--phase", "start", ...args]);
  const inflight = await first.next("inflight", timeoutMs);
  await first.kill("SIGKILL");
  const floor = await recoveryFloor(db);
  const second = new Child("recovery (fresh process)", "recovery.ts", ["--phase", "recover", "--timeout-ms", String(timeoutMs), ...args]);
  try {
    const result = await second.next("result", timeoutMs + 60_000);
    if (result.timedOut) return { timedOut: true, note: `${String(result.recovered)} of ${recoveryCount} recovered after ${round(result.ms as number, 0)} ms` };
    return {
      msFromProcessStart: result.msFromProcessStart as number,
      ms: result.ms as number,
      msLoadingCode: result.msLoadingCode as number,
      startSeconds: inflight.startSeconds as number,
      ...floor,
    };
  } finally {
    await second.stop();
  }
}

/**
 * `runs` restarts, each on a file of its own: one restart moves by a sixth from run to run on this
 * kind of machine, so the figure is the median restart (and its floor the median of the floors
 * measured beside each), with every round kept.
 */
async function recovery(): Promise<void> {
  const timeoutMs = quick ? 120_000 : 240_000;
  console.log(`recovery: ${recoveryCount} executions in flight, SIGKILL, a fresh process on the same file; ${runs} restarts`);
  try {
    const rounds: RecoveryRound[] = [];
    for (let n = 0; n < runs; n++) {
      const restart = await recoveryRound(timeoutMs);
      if ("timedOut" in restart) {
        results.recovery = { count: recoveryCount, timedOut: true, note: restart.note };
        return;
      }
      rounds.push(restart);
    }
    const fromStart = median(rounds.map((r) => r.msFromProcessStart));
    const floors = rounds.flatMap((r) => (r.floorMs === undefined ? [] : [r.floorMs]));
    const floorMs = floors.length === rounds.length ? median(floors) : undefined;
    results.recovery = compact({
      count: recoveryCount,
      ms: round(median(rounds.map((r) => r.ms)), 0),
      msFromProcessStart: round(fromStart, 0),
      msLoadingCode: round(median(rounds.map((r) => r.msLoadingCode)), 0),
      startSeconds: round(median(rounds.map((r) => r.startSeconds)), 2),
      ...(floorMs === undefined ? { floorError: rounds.find((r) => r.floorError !== undefined)?.floorError } : { floorMs: round(floorMs, 0), xFloor: round(fromStart / floorMs, 2) }),
      restartsMs: rounds.map((r) => round(r.msFromProcessStart, 0)!),
      ...(floorMs === undefined ? {} : { floorsMs: floors }),
    });
  } catch (error) {
    fail("recovery", error);
  }
}

async function sharedFile(): Promise<void> {
  console.log(`shared-file: two embedded instances on one SQLite file, ${SHARED_FILE_ROUNDS} rounds each: an rpc answered by the other, a promise resolved by the other`);
  try {
    const db = join(tempDir("shared-file"), "shared.db");
    const result = await resultOf("shared-file", "cross-process.ts", ["--db", db, "--rounds", String(SHARED_FILE_ROUNDS)], 120_000);
    results.sharedFile = { rpc: result.rpc as Record<string, number>, resume: result.resume as Record<string, number> };
  } catch (error) {
    fail("shared-file", error);
  }
}

// ---- output ----

function resultsPath(): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "results");
  mkdirSync(dir, { recursive: true });
  const base = `${results.timestamp.slice(0, 10)}${quick ? "-quick" : ""}`;
  for (let n = 1; ; n++) {
    const path = join(dir, `${base}${n === 1 ? "" : `-${n}`}.json`);
    if (!existsSync(path)) return path;
  }
}

/** The goals' inputs from this run's results: the floors, the server rows, sleepers and recovery at the goals' sizes. */
function goalsOfThisRun(): GoalCheck[] {
  const full = results.floors["sqlite FULL"];
  const fsync = results.floors.fdatasync;
  const pgRow = (prefix: string) => results.rows.find((r) => r.benchmark.startsWith(prefix))?.stepsPerSecond;
  const embedded = results.sleepers.embedded as { count: number; allSuspendedSeconds?: number; rssMiB?: number } | undefined;
  const server = results.sleepers.server as { count: number; allSuspendedSeconds?: number; serverRssMiB?: number; workerRssMiB?: number } | undefined;
  // Judged only at the goal's count, with every sleeper suspended and each RSS read.
  const atGoalSize = (s: Record<string, unknown> | undefined, rss: string[]) =>
    s?.count === SLEEPERS_GOAL.count && s.allSuspendedSeconds !== undefined && rss.every((key) => typeof s[key] === "number");
  const recovery = results.recovery as { count?: number; msFromProcessStart?: number };
  return checkGoals({
    ...goalInputs,
    ...(full && !("error" in full) ? { sqliteFull: { perRow: full.perRow, perRowSeq: full.perRowSeq } } : {}),
    ...(fsync && !("error" in fsync) ? { fsyncPerSecond: fsync.opsPerSecond } : {}),
    postgres: {
      w1: pgRow("server on PostgreSQL, 1 worker: W1"),
      w2: pgRow("server on PostgreSQL, 1 worker: W2"),
      clusterW1: pgRow(`server on PostgreSQL, 2 servers + ${CLUSTER_WORKERS} workers: W1`),
    },
    sleepers: {
      ...(atGoalSize(embedded, ["rssMiB"]) ? { embedded: { seconds: embedded!.allSuspendedSeconds!, rssMiB: embedded!.rssMiB! } } : {}),
      ...(atGoalSize(server, ["serverRssMiB", "workerRssMiB"])
        ? { server: { seconds: server!.allSuspendedSeconds!, serverRssMiB: server!.serverRssMiB!, workerRssMiB: server!.workerRssMiB! } }
        : {}),
    },
    ...(recovery.count === RECOVERY_GOAL.count && recovery.msFromProcessStart !== undefined ? { recoveryMs: recovery.msFromProcessStart } : {}),
  });
}

function report(): void {
  // The goals are stated for the full workloads: a quick run's smaller ones judge none.
  results.goals = quick ? [] : goalsOfThisRun();
  const table = results.rows.map((r) => ({
    benchmark: r.benchmark,
    "steps/s": r.stepsPerSecond,
    "ms/step": r.msPerStep,
    "% floor (1 commit/row)": r.pctOfFloorPerCommit ?? "",
    "% floor (group commit)": r.pctOfFloorGrouped ?? "",
    "% floor (log pre-sized)": r.pctOfPresizedFloor ?? "",
    rounds: r.rounds?.length,
    note: r.note ?? "",
  }));
  const floorTable: Record<string, unknown>[] = [];
  for (const [name, f] of Object.entries(results.floors)) {
    if ("error" in f) floorTable.push({ floor: name, error: String(f.error).slice(0, 80) });
    else if (name === "fdatasync") floorTable.push({ floor: "fdatasync 4 KiB", "ops/s": round(f.opsPerSecond, 0), "ms each": round(f.meanMs, 3) });
    else
      floorTable.push({
        floor: name,
        [`rows/s, 1 commit/row (${FLOOR.seqRows} rows)`]: round(f.perRowSeq, 0),
        "the same, log pre-sized": round(f.perRowSeqPresized, 0) ?? "",
        [`rows/s, 1 commit/row (${FLOOR.rows} rows)`]: round(f.perRow, 0),
        [`rows/s, 1 commit/${FLOOR.batch} rows`]: round(f.grouped, 0),
      });
  }
  console.log(`\nReprise bench ${results.timestamp}${quick ? " (quick)" : ""}: ${results.host.cpus} CPUs, Node ${results.host.node}; medians of up to ${runs} rounds after warm-up rounds of the same workload (until ${warmUp.steps} steps or ${warmUp.ms / 1000} s; the rounds column says how many fitted in ${ROUND_BUDGET_MS / 1000} s)`);
  console.log(`Durability: embedded rows say FULL (survives power loss) or NORMAL (survives a process crash); server on SQLite = FULL; PostgreSQL = synchronous_commit=on`);
  if (floorTable.length) {
    console.log("\nFloors (the storage alone, same run)");
    console.table(floorTable);
  }
  if (table.length) {
    console.log("Reprise (a step = one durable step of a workflow)");
    console.table(table);
  }
  if (results.allocation) {
    console.log(`Allocation: an embedded W1 step at FULL allocates ${results.allocation.bytesPerStep} bytes (freed objects included); the sites that allocate most, bytes per step:`);
    console.table(results.allocation.top);
  }
  if (Object.keys(results.sleepers).length) {
    console.log(`Sleepers: ${sleepers} workflows suspended in a one-hour sleep`);
    console.table(results.sleepers);
  }
  if (Object.keys(results.recovery).length) {
    console.log(`Recovery: ${recoveryCount} executions in flight, SIGKILL, ms until each has taken its next step (msFromProcessStart); floorMs: the storage alone (bench/recovery-floor.ts), from its process's start`);
    console.table([results.recovery]);
  }
  if (Object.keys(results.sharedFile).length) {
    console.log("Shared SQLite file: ms from the call in one instance to its answer from the other (rpc), and from a resolve to the waiting workflow's next step (resume)");
    console.table(results.sharedFile);
  }
  if (quick) console.log("Goals (issue 9): not judged on a quick run (its workloads are smaller than the goals')");
  else {
    console.log("Goals (issue 9), each judged by this run's figures and floors (bench/lib/goals.ts)");
    console.table(results.goals.map((g) => ({ goal: g.goal, figure: g.figure, target: g.target, met: g.met === undefined ? "-" : g.met ? "yes" : "no" })));
  }
  for (const skipped of results.skipped) console.log(`skipped: ${skipped}`);
  for (const error of results.errors) console.log(`error: ${error.split("\n")[0]}`);
  const path = resultsPath();
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results));
  console.log(`\nresults: ${relative(process.cwd(), path)}`);
}

async function cleanUp(): Promise<void> {
  killAll();
  await dropSchemas();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const deadline = setTimeout(() => {
  console.log(`\nThe bench passed its ${DEADLINE_MS / 60_000}-minute limit: stopping, and reporting what it has.`);
  results.incomplete = true;
  killAll();
  report();
  void cleanUp().finally(() => process.exit(1));
}, DEADLINE_MS);

const sectionRuns: Record<Section, () => Promise<void>> = { floors, embedded, server, cluster, sleepers: sleepersSection, recovery, "shared-file": sharedFile };
for (const section of SECTIONS) {
  if (!wanted(section)) continue;
  const started = performance.now();
  await sectionRuns[section]();
  console.log(`  (${section}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
clearTimeout(deadline);
report();
await cleanUp();
process.exit(0);
