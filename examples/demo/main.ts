/**
 * `npm start`: a narrated demo. The account-creation workflow runs in a child process on fresh
 * SQLite files, is killed with SIGKILL just before its last write, and a new process finishes it:
 * the steps that already ran are not run again, their recorded results are reused.
 * No PostgreSQL or TigerBeetle needed: the ledger here is a SQLite stand-in.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reprise } from "../../src/index.js";
import { SqliteLedger } from "../account-creation/sqlite-ledger.js";
import { SystemOfReference } from "../account-creation/system-of-reference.js";
import { runAccountCreation } from "./child.js";
import { bold, dim, green, pause, red, say, short, STEP_LABELS, STEP_OF_CALL, yellow } from "./narration.js";

const started = Date.now();
const dir = mkdtempSync(join(tmpdir(), "reprise-demo-"));
const files = { REPRISE_STORE: join(dir, "reprise.db"), ACCOUNTS_DB: join(dir, "accounts.db"), LEDGER_DB: join(dir, "ledger.db") };
const uuid = randomUUID().slice(0, 8);
const executionId = `create-account-${uuid}`;

try {
  say(bold("Reprise demo: a workflow killed with kill -9 finishes where it stopped"));
  say();
  say(`The workflow (examples/account-creation, "Write Last, Read First") creates account ${bold(uuid)}`);
  say("in two stores that share no transaction. Each step is a durable checkpoint:");
  for (const label of Object.values(STEP_LABELS)) say(`  ${label}`);
  say(dim(`The ledger is a SQLite stand-in for TigerBeetle. Files: ${dir}`));
  say();
  await pause(1200);

  say(bold(`▶ Run 1: start execution ${executionId}`));
  await runUntilCrash();
  say();
  await pause(800);

  say(bold("  What survived the crash, in the promise store:"));
  const recorded = await recordedSteps();
  for (const step of recorded) say(`    ${STEP_LABELS[step.func] ?? step.func}  ${dim("→")} ${step.value}`);
  say(`    ${dim("and the ledger has")} ${(await accountInStores()).inLedger ? "the account" : "no account yet"}`);
  say();
  await pause(1200);

  say(bold("▶ Run 2: a new process, same execution id, same files — it replays the workflow"));
  const second = await runToEnd();
  for (const [func, label] of Object.entries(STEP_LABELS)) {
    const ran = second.ran.get(func);
    if (ran !== undefined) say(`  ${green("✓ ran")}      ${label}  ${dim("→")} ${ran}`);
    else if (recorded.some((step) => step.func === func)) say(`  ${yellow("↺ skipped")}  ${label}  ${dim("(recorded result reused, not run again)")}`);
  }
  say(`  ${second.outcome}`);
  say();
  await pause(800);

  say(bold("▶ Run 3: the same id once more"));
  const third = await runToEnd();
  say(`  ${third.outcome}`);
  say(dim(third.ran.size === 0 ? "  no step ran: the execution had finished; its stored result came back at once" : `  steps ran again: ${[...third.ran.keys()].join(", ")}`));
  say();

  say(bold("Check:"));
  const { guid, inLedger } = await accountInStores();
  say(`  System of Reference: ${uuid} → ${guid ? short(guid) : "missing"}`);
  say(`  System of Record:    account ${guid ? short(guid) : "?"} ${inLedger ? "exists" : "missing"}`);
  say();
  say(green(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Try it yourself: examples/account-creation/README.md`));
  if (process.argv.includes("--serve")) await serveDashboard(`create-account-${uuid}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** `npm start`: keep the demo's promise store open in the dashboard until Ctrl-C. */
async function serveDashboard(executionId: string): Promise<void> {
  const { startServer } = await import("../../src/server/serve.js");
  const port = Number(process.env.PORT ?? 8001);
  const server = await startServer({ store: files.REPRISE_STORE, port }).catch(() => startServer({ store: files.REPRISE_STORE, port: 0 }));
  say();
  say(bold(`The dashboard shows what happened: ${server.url}/dashboard/#/executions/${encodeURIComponent(executionId)}`));
  say(dim("Its promise tree has the three steps, each with its recorded result. Ctrl-C to stop."));
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
}

/** Run 1 stops just before the ledger write (CRASH_AT), and the narrator kills it there. */
async function runUntilCrash(): Promise<void> {
  const run = runAccountCreation(uuid, { ...files, CRASH_AT: "before:ledger.createAccount" }, (line, self) => {
    narrateCall(line);
    if (line.startsWith("HANG ")) {
      say(`  ${dim("…")} step 3 is about to write the ledger`);
      say(`  ${red(`💥 kill -9 ${self.pid}`)}  the process dies before the ledger write`);
      void self.kill();
    }
  });
  say(dim(`  (pid ${run.pid})`));
  await run.exited;
}

/** Runs the workflow to its end; returns the steps that really ran (with their results) and the outcome. */
async function runToEnd(): Promise<{ ran: Map<string, string>; outcome: string }> {
  const ran = new Map<string, string>();
  let outcome = red("✘ no result");
  const run = runAccountCreation(uuid, files, (line) => {
    const done = stepDone(line);
    if (done) ran.set(done.func, done.result);
    if (line.startsWith("RESULT ")) outcome = `${green("✔ result")} ${line.slice("RESULT ".length)}`;
    if (line.startsWith("FAILED ")) outcome = `${red("✘ failed")} ${line.slice("FAILED ".length)}`;
  });
  say(dim(`  (pid ${run.pid})`));
  await run.exited;
  return { ran, outcome };
}

/** Prints a step of run 1 that really ran (its client call finished). */
function narrateCall(line: string): void {
  const guid = guidPassedOn(line);
  if (guid !== undefined) say(`  ${green("✓ ran")}      ${STEP_LABELS.generateGuid}  ${dim("→")} ${short(guid)}`);
  const done = stepDone(line);
  if (done) say(`  ${green("✓ ran")}      ${STEP_LABELS[done.func]}  ${dim("→")} ${done.result}`);
}

/**
 * Step 1 calls no client, so the child prints nothing when it runs; its result, the account id,
 * is the second argument of step 2's call. Run 1 starts on empty files, so step 1 ran in that
 * process: seeing the id passed on is seeing step 1 done.
 */
function guidPassedOn(line: string): string | undefined {
  const call = /^CALL sor\.createAccount (.*)$/.exec(line);
  if (!call) return undefined;
  try {
    const args = JSON.parse(call[1]!) as unknown;
    return Array.isArray(args) && typeof args[1] === "string" ? args[1] : undefined;
  } catch {
    return undefined;
  }
}

/** A `DONE <client>.<method> <result>` line, as the step it belongs to. */
function stepDone(line: string): { func: string; result: string } | undefined {
  const done = /^DONE (\S+) (.*)$/.exec(line);
  const func = done && STEP_OF_CALL[done[1]!];
  return func ? { func, result: done[2]! } : undefined;
}

/** The steps whose results are recorded, read through the public promise API. */
async function recordedSteps(): Promise<Array<{ func: string; value: string }>> {
  const reprise = new Reprise({ store: files.REPRISE_STORE, logLevel: "silent" });
  try {
    const { promises } = await reprise.promises.search({ id: `${executionId}.*`, state: "resolved" });
    return promises
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((p) => ({ func: p.tags["reprise:func"] ?? p.id, value: typeof p.value === "string" ? short(p.value) : JSON.stringify(p.value) }));
  } finally {
    await reprise.stop();
  }
}

/** The account as the two stores see it: the id SQLite maps the uuid to, and whether the ledger has it. */
async function accountInStores(): Promise<{ guid?: string; inLedger: boolean }> {
  const reference = SystemOfReference.open(files.ACCOUNTS_DB);
  const ledger = SqliteLedger.open(files.LEDGER_DB);
  try {
    const guid = (await reference.findAccount(uuid))?.guid;
    return { guid, inLedger: guid !== undefined && (await ledger.lookupAccount(BigInt(guid))) !== undefined };
  } finally {
    await reference.close();
    await ledger.close();
  }
}
