/**
 * Section 4, embedded: many workflows sleeping at once, in one process.
 *   node --import tsx bench/sleepers.ts --db <file> --count 100000 [--sync FULL|NORMAL]
 * At FULL by default: the store's default durability, the one the goals are stated at.
 * Starts `count` sleepers (one step, then a one-hour sleep) with beginRun. The parent counts how
 * many are suspended in the file (SuspendedCounter) and reads this process's RSS. It stays alive until
 * its stdin closes, so the parent can also read its RSS from /proc.
 */
import { childMain, emit, flag, listenToParent } from "./lib/child.js";
import { startAll } from "./lib/start-all.js";
import { sleeper } from "./lib/workflows.js";
import { embeddedReprise, type Sync } from "./lib/workload.js";

childMain(async () => {
  const path = flag("db")!;
  const count = Number(flag("count", "100000"));
  const reprise = await embeddedReprise(path, flag("sync", "FULL") as Sync);
  reprise.register("sleeper", sleeper);
  await reprise.ready();
  listenToParent(
    () => {},
    () => reprise.stop(),
  );
  // The parent counts suspended sleepers (its event loop is idle; ours is busy with 100,000 of
  // them, so a timer of ours would fire late) and reads our RSS from /proc.
  const rssBefore = process.memoryUsage().rss;
  emit("begun", { at: Date.now(), rssBeforeMiB: rssBefore / 2 ** 20 });
  const startSeconds = await startAll(reprise, "sleeper", count, "sleeper");
  emit("started", { seconds: startSeconds, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 });
});
