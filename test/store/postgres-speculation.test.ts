/**
 * Speculative transactions on PostgreSQL (speculation.ts): a batch whose rows the server knows
 * is decided from them and committed in one statement that checks them; a row changed by another
 * server, or a created id another server inserted first, makes that statement write nothing, and
 * the batch is decided again from the table, with the answer the table gives. Two stores on one
 * schema play the two servers; each is told how its speculations end.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestKind, RequestOf, Response } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { openStore, type Store } from "../../src/store/index.js";
import type { SpeculationOutcome } from "../../src/store/backend.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";

const available = await postgresAvailable();
const T0 = 1_700_000_000_000;
const head = { corrId: "c", version: "test" };

interface Server {
  store: Store;
  outcomes: SpeculationOutcome[];
  send<K extends RequestKind>(kind: K, data: RequestOf<K>["data"], now?: number): Promise<Response<K>>;
}

async function openServer(schema: string): Promise<Server> {
  const outcomes: SpeculationOutcome[] = [];
  const store = await openStore(PG_URL, { postgres: { schema } });
  store.onSpeculation?.((outcome) => outcomes.push(outcome));
  return {
    store,
    outcomes,
    send: (kind, data, now = T0) => store.apply({ kind, head, data } as RequestOf<typeof kind>, now),
  };
}

function step(id: string, data: string): RequestOf<"promise.create"> {
  return { kind: "promise.create", head, data: { id, timeoutAt: T0 + 60_000, param: {}, tags: {}, result: { state: "resolved", value: { data } } } };
}

describe.runIf(available)("PostgreSQL speculative transactions", () => {
  let schema = "";
  let a: Server;
  let b: Server;
  beforeEach(async () => {
    schema = freshSchemaName();
    a = await openServer(schema);
    b = await openServer(schema);
  });
  afterEach(async () => {
    await Promise.all([a.store.close(), b.store.close()]);
    await dropSchema(schema);
  });

  /** A root with a target whose task `server` acquired at version 1: that server now knows both rows. */
  async function running(server: Server, id: string): Promise<void> {
    expect((await server.send("promise.create", { id, timeoutAt: T0 + 3_600_000, param: {}, tags: { [TAG.target]: "poll://any@w" } })).head.status).toBe(200);
    expect((await server.send("task.acquire", { id, version: 0, pid: "p", ttl: 60_000 })).head.status).toBe(200);
  }

  it("records the steps of a task this server holds in one checked statement each", async () => {
    await running(a, "wf");
    a.outcomes.length = 0;
    for (let n = 0; n < 5; n++) {
      const res = await a.send("task.fence", { id: "wf", version: 1, action: step(`wf.${n}`, `v${n}`) });
      expect(res.head.status).toBe(200);
    }
    expect(a.outcomes).toEqual(["committed", "committed", "committed", "committed", "committed"]);
    // What the table holds, read through the other server.
    for (let n = 0; n < 5; n++) {
      const got = await b.send("promise.get", { id: `wf.${n}` });
      expect(got.data).toMatchObject({ promise: { state: "resolved", value: { data: `v${n}` } } });
    }
  });

  it("refuses a fence the other server's acquire made stale, writing nothing, after deciding again from the table", async () => {
    await running(a, "wf");
    // Server B sees the lease run out and hands the task to another worker: version 2.
    await b.store.tick(T0 + 61_000);
    expect((await b.send("task.acquire", { id: "wf", version: 1, pid: "q", ttl: 60_000 }, T0 + 61_000)).head.status).toBe(200);
    a.outcomes.length = 0;
    // A still remembers the task at version 1, held: only the check at commit can tell it changed.
    const res = await a.send("task.fence", { id: "wf", version: 1, action: step("wf.0", "late") }, T0 + 61_001);
    expect(res.head.status).toBe(409);
    expect(a.outcomes).toEqual(["stale"]);
    expect((await b.send("promise.get", { id: "wf.0" })).head.status).toBe(404);
    // Having read the table, A knows the task as it is: the new holder's fence goes through A in one statement.
    a.outcomes.length = 0;
    expect((await a.send("task.fence", { id: "wf", version: 2, action: step("wf.0", "new holder") }, T0 + 61_002)).head.status).toBe(200);
    expect(a.outcomes).toEqual(["committed"]);
  });

  it("answers a step another server recorded first with that record, not its own", async () => {
    await running(a, "wf");
    // The same step reaches B first (a worker's retry through another server).
    expect((await b.send("task.fence", { id: "wf", version: 1, action: step("wf.0", "first") })).head.status).toBe(200);
    a.outcomes.length = 0;
    const res = await a.send("task.fence", { id: "wf", version: 1, action: step("wf.0", "second") });
    expect(res.head.status).toBe(200);
    expect(res.data).toMatchObject({ action: { data: { promise: { value: { data: "first" } } } } });
    // The step's insert lost to B's row, or the check saw B's write to the task: either way nothing was written twice.
    expect(a.outcomes).toEqual(["stale"]);
    expect((await b.send("promise.get", { id: "wf.0" })).data).toMatchObject({ promise: { value: { data: "first" } } });
  });

  it("decides from the table what it does not know, without sending a speculative statement", async () => {
    await running(b, "wf");
    a.outcomes.length = 0;
    // A never saw this task: nothing to speculate from.
    expect((await a.send("task.fence", { id: "wf", version: 1, action: step("wf.0", "v") })).head.status).toBe(200);
    expect(a.outcomes).toEqual(["missed"]);
    // Reading it taught A the task and its root; the next step is speculated.
    expect((await a.send("task.fence", { id: "wf", version: 1, action: step("wf.1", "v") })).head.status).toBe(200);
    expect(a.outcomes).toEqual(["missed", "committed"]);
  });

  it("keeps each item's answer in a batch whose speculation went stale", async () => {
    await running(a, "x");
    await running(a, "y");
    // B finishes y behind A's back.
    expect((await b.send("task.fulfill", { id: "y", version: 1, action: { kind: "promise.settle", head, data: { id: "y", state: "resolved", value: {} } } })).head.status).toBe(200);
    a.outcomes.length = 0;
    const answers = await a.store.applyBatch([
      { kind: "task.fence", head, data: { id: "x", version: 1, action: step("x.0", "x") } },
      { kind: "task.fence", head, data: { id: "y", version: 1, action: step("y.0", "y") } },
    ], T0);
    expect(answers.map((answer) => answer.head.status)).toEqual([200, 409]);
    expect(a.outcomes).toEqual(["stale"]);
    expect((await b.send("promise.get", { id: "x.0" })).head.status).toBe(200);
    expect((await b.send("promise.get", { id: "y.0" })).head.status).toBe(404);
  });
});
