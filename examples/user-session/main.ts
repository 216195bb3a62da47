/**
 * The session server:  tsx examples/user-session/main.ts
 *
 * Environment: PORT (default 3001; 0 = any free port), IDLE_MS (default 10000), REPRISE_STORE
 * (default ./user-session.db), ACTIVITY_DB (default ./activity.db). Prints `LISTENING <port>`,
 * a CALL/DONE line for every activity-store write, and `ENDED <summary>` when a session ends.
 * Kill it (kill -9) and start it again: running sessions carry on where they were.
 */
import { Reprise, type Handle } from "../../src/index.js";
import { instrument, say, storeFor, toJson } from "../shared/crash-points.js";
import { ActivityStore } from "./activity-store.js";
import { serveSessions } from "./server.js";
import { SessionService } from "./session-service.js";
import { userSession, type SessionSummary } from "./user-session.js";

const idleMs = Number(process.env.IDLE_MS ?? 10_000);
const store = ActivityStore.open(process.env.ACTIVITY_DB ?? "./activity.db");
const reprise = new Reprise({ store: await storeFor(process.env.REPRISE_STORE ?? "./user-session.db") });
reprise.setDependency("activityStore", instrument("store", store));
reprise.register("userSession", userSession);

// Announce every session's end: those this process starts and those it resumed after a restart.
const watched = new Set<string>();
function watch(handle: Handle<SessionSummary>): void {
  if (watched.has(handle.id)) return;
  watched.add(handle.id);
  handle.result().then(
    (summary) => say(`ENDED ${handle.id} ${toJson(summary)}`),
    (error: unknown) => say(`FAILED ${handle.id} ${String(error)}`),
  );
}
const running = await reprise.promises.search({ id: "session-*", state: "pending", tags: { "reprise:kind": "root" } });
for (const root of running.promises) watch(await reprise.get<SessionSummary>(root.id));

const sessions = new SessionService(reprise, store, idleMs, watch);
const server = await serveSessions(sessions, Number(process.env.PORT ?? 3001));
say(`LISTENING ${server.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void server.close().then(() => reprise.stop()).then(() => store.close()).finally(() => process.exit(0));
  });
}
