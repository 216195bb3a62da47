/**
 * Section 4, embedded: many workflows sleeping at once, in one process.
 *   node --import tsx bench/sleepers.ts --db <file> --count 100000 --timeout-ms 240000
 * Starts `count` sleepers (one step, then a one-hour sleep), waits until every one is suspended
 * (counted in the store, see SuspendedCounter), then reports its own memory. Past `--timeout-ms`
 * it reports how many had suspended by then (`timedOut: true`) instead. It stays alive until
 * its stdin closes, so the parent can also read its RSS from /proc.
 */
import { childMain, emit, flag, listenToParent } from "./lib/child.js";
import { startAll, SuspendedCounter, waitForCount } from "./lib/start-all.js";
import { sleeper } from "./lib/workflows.js";
import { embeddedReprise, type Sync } from "./lib/workload.js";

childMain(async () => {
  const path = flag("db")!;
  const count = Number(flag("count", "100000"));
  const reprise = await embeddedReprise(path, flag("sync", "NORMAL") as Sync);
  reprise.register("sleeper", sleeper);
  await reprise.ready();
  listenToParent(
    () => {},
    () => reprise.stop(),
  );
  const rssBefore = process.memoryUsage().rss;
  const begunAt = Date.now();
  let startSeconds: number | undefined;
  const starting = startAll(reprise, "sleeper", count, "sleeper").then((seconds) => (startSeconds = seconds));
  starting.catch(() => {}); // a failure shows as sleepers that never suspend; its message follows
  const counter = new SuspendedCounter(path);
  const { at, reached, timedOut } = await waitForCount(() => counter.count(), count, Number(flag("timeout-ms", "1800000")), 100);
  counter.close();
  const memory = process.memoryUsage();
  emit("result", {
    count,
    suspended: reached,
    timedOut,
    startSeconds,
    allSuspendedSeconds: (at - begunAt) / 1000,
    rssMiB: memory.rss / 2 ** 20,
    rssBeforeMiB: rssBefore / 2 ** 20,
    heapUsedMiB: memory.heapUsed / 2 ** 20,
  });
  await starting;
});
