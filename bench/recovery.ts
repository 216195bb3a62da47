/**
 * Section 5: recovery after SIGKILL, embedded.
 *   node --import tsx bench/recovery.ts --phase start --db <file> --count 10000 [--sync FULL|NORMAL]
 *     starts `count` executions of `recoverable` (a step, a step that blocks for good, a marker
 *     step) and prints `BENCH {"type":"inflight"}` once every one is inside its blocking step.
 *     The parent then SIGKILLs it.
 *   node --import tsx bench/recovery.ts --phase recover --db <file> --count 10000
 *     a fresh process on the same file, the same workflows registered (here the blocking step
 *     returns at once): prints the ms from its first line of code until every execution has run
 *     its marker step, i.e. has taken its next step after the crash.
 * Both at FULL by default: the store's default durability, the one the goals are stated at.
 */
const firstLine = performance.now(); // before any import is loaded: the imports below are dynamic

const { childMain, emit, flag, listenToParent } = await import("./lib/child.js");
const { startAll, waitForCount } = await import("./lib/start-all.js");
const { counters, recoverable } = await import("./lib/workflows.js");
const { embeddedReprise } = await import("./lib/workload.js");
type Sync = import("./lib/workload.js").Sync;
const importedAt = performance.now();

childMain(async () => {
  const phase = flag("phase", "start");
  const count = Number(flag("count", "10000"));
  const reprise = await embeddedReprise(flag("db")!, flag("sync", "FULL") as Sync);
  reprise.setDependency("phase", phase);
  reprise.register("recoverable", recoverable);
  listenToParent(
    () => {},
    () => reprise.stop(),
  );
  if (phase === "start") {
    await reprise.ready();
    const startSeconds = await startAll(reprise, "recoverable", count, "recover", (i) => [i]);
    const blocked = await waitForCount(() => counters.blocked, count, 30 * 60_000, 10);
    if (blocked.timedOut) throw new Error(`only ${blocked.reached} of ${count} executions reached their blocking step`);
    emit("inflight", { startSeconds });
    return;
  }
  // Recovery: nothing to start; the new Reprise finds the dead holder's tasks by itself.
  const { reached, timedOut } = await waitForCount(() => counters.markers, count, Number(flag("timeout-ms", "1800000")), 5);
  const now = performance.now();
  emit("result", {
    count,
    recovered: reached,
    timedOut,
    ms: now - firstLine,
    msFromProcessStart: now, // performance.now() counts from the process's start (timeOrigin)
    msLoadingCode: importedAt - firstLine, // included in ms: loading (and tsx-compiling) the modules
  });
});
