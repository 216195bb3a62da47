/**
 * Speculation changes where a PostgreSQL server's rows come from, never what it answers: random
 * worker-like request sequences (reference-walk.ts, seeded) go to two servers on one schema, each
 * request to one of them at random, and every answer must equal the one the same kernel gives over
 * the memory backend, which has no speculation and one copy of every row. Each server remembers
 * the rows it last saw and the other keeps changing them (acquires, releases, heartbeats, lease
 * expiries in its ticks), so stale known rows are the common case here, not the exception; at the
 * end every promise and task reads the same through both servers as in memory.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Envelope } from "../../src/protocol/messages.js";
import type { Request } from "../../src/protocol/requests.js";
import { openStore, type Store } from "../../src/store/index.js";
import { ProtocolStore } from "../../src/store/kernel/index.js";
import { MemoryBackend } from "../../src/store/memory/index.js";
import type { SpeculationOutcome } from "../../src/store/backend.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "./postgres-support.js";
import { learnVersions, naming, random, walk } from "./reference-walk.js";

const available = await postgresAvailable();
const T0 = 1_700_000_000_000;
const WALKS = 16;
const STEPS = 80;

describe.runIf(available)("PostgreSQL speculation against the memory backend, two servers on one schema", () => {
  let schema = "";
  let servers: Store[] = [];
  const outcomes = new Map<SpeculationOutcome, number>();
  beforeEach(async () => {
    schema = freshSchemaName();
    const count = (outcome: SpeculationOutcome) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    servers = await Promise.all([0, 1].map(() => openStore(PG_URL, { postgres: { schema } })));
    for (const server of servers) server.onSpeculation?.(count);
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await dropSchema(schema);
  });

  for (let seed = 1; seed <= WALKS; seed++) {
    it(`walk ${seed}`, async () => {
      outcomes.clear();
      const reference = new ProtocolStore(new MemoryBackend());
      const delivered: Envelope[] = [];
      reference.onMessage((envelope) => delivered.push(envelope));
      // Which server takes each request: a generator of its own, so the walk is the same as elsewhere.
      const choose = random(seed * 7919);
      const server = () => servers[choose() < 0.5 ? 0 : 1]!;
      const versions = new Map<string, number>();
      try {
        let i = 0;
        for (const step of walk(seed, STEPS, T0, versions)) {
          i++;
          const where = `seed ${seed}, step ${i}: ${JSON.stringify(step)}`;
          if ("tick" in step) {
            await reference.tick(step.now);
            await server().tick(step.now);
          } else {
            const expected = await reference.apply(step.req, step.now);
            const got = await server().apply(step.req, step.now);
            expect({ status: got.head.status, data: got.data }, where).toEqual({ status: expected.head.status, data: expected.data });
            learnVersions(versions, [expected.data]);
          }
          learnVersions(versions, delivered.splice(0));
        }
        await expectSameRows(seed, reference);
      } finally {
        await reference.close();
      }
      // The walk exercised speculation both ways: some batches committed in one statement, some went stale or missed.
      expect(outcomes.get("committed") ?? 0, JSON.stringify([...outcomes])).toBeGreaterThan(0);
    });
  }

  /** Every promise and task of the walk reads the same through both servers as in memory. */
  async function expectSameRows(seed: number, reference: Store): Promise<void> {
    const { roots, children, external } = naming(seed);
    const head = { corrId: "end", version: "walk" };
    const reads: Request[] = [
      ...[...roots, ...children.map(([child]) => child), external].map((id) => ({ kind: "promise.get", head, data: { id } }) as Request),
      ...roots.map((id) => ({ kind: "task.get", head, data: { id } }) as Request),
    ];
    const end = T0 + 10 ** 9;
    for (const req of reads) {
      const expected = await reference.apply(req, end);
      for (const server of servers) {
        const got = await server.apply(req, end);
        expect({ status: got.head.status, data: got.data }, `seed ${seed}, at the end: ${JSON.stringify(req)}`).toEqual({
          status: expected.head.status,
          data: expected.data,
        });
      }
    }
  }
});
