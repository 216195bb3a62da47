/**
 * A Reprise server in its own process, as `reprise serve` starts it (the same startServer), but
 * tied to the bench: it exits when its stdin closes, so a dead bench leaves no server behind.
 *   node --import tsx bench/serve.ts --store <sqlite path | postgres://…?schema=…>
 * Prints `BENCH {"type":"listening","url":…,"pid":…}`.
 * Its SQLite store is at the server's default durability, "power-loss" (synchronous=FULL).
 */
import { startServer } from "../src/server/serve.js";
import { childMain, emit, flag, listenToParent } from "./lib/child.js";

childMain(async () => {
  const server = await startServer({ store: flag("store"), port: 0, logLevel: "error" });
  listenToParent(
    () => {},
    () => server.close(),
  );
  emit("listening", { url: server.url, pid: process.pid });
});
