/**
 * An HTTP worker in its own process: `new Reprise({ url, group })`, running the bench workflows.
 *   node --import tsx bench/worker.ts --url http://127.0.0.1:… --group bench
 * It takes commands on stdin, one JSON line each, so the parent can start several workers at the
 * same moment:
 *   {"op":"run","workflows":500,"steps":10,"prefix":"…"}  → BENCH {"type":"ran", …RoundFigures}
 *   {"op":"sleepers","count":100000,"prefix":"…"}          → BENCH {"type":"started", …}
 * Each worker submits its own workflows (`reprise.run` / `beginRun` through its server), so its
 * task is acquired by itself at creation: the workers share the server and the database, not
 * their workflows.
 */
import { Reprise } from "../src/index.js";
import { childMain, emit, flag, listenToParent, type Message } from "./lib/child.js";
import { sequential, sleeper } from "./lib/workflows.js";
import { runWorkload } from "./lib/workload.js";
import { startAll } from "./lib/start-all.js";

childMain(async () => {
  const reprise = new Reprise({ url: flag("url"), group: flag("group", "bench"), determinism: "off" });
  reprise.register("sequential", sequential);
  reprise.register("sleeper", sleeper);
  await reprise.ready();
  const handle = async (message: Message) => {
    if (message.op === "run") {
      const figures = await runWorkload(reprise, { workflows: Number(message.workflows), steps: Number(message.steps) }, String(message.prefix));
      emit("ran", { ...figures });
    } else if (message.op === "sleepers") {
      const seconds = await startAll(reprise, "sleeper", Number(message.count), String(message.prefix));
      emit("started", { seconds });
    }
  };
  listenToParent(
    (message) => void handle(message).catch((error: unknown) => emit("error", { message: String((error as Error).stack ?? error) })),
    () => reprise.stop(),
  );
  emit("ready", { pid: process.pid });
});
