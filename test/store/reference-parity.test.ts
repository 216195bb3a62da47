/**
 * Our kernel against the reference semantics, @resonatehq/sdk's in-memory `Server`: the same
 * request sequences must get the same statuses, records and messages. Differences that are ours
 * on purpose are normalised away: `expiresAt` and idempotency-key fields (extensions), the message
 * of a 422 on task.suspend (the reference answers `{}`), and message order within one tick.
 * `releases` (extension) is dropped too; and since we hold back the re-delivery of a task
 * released again without progress (the reference sends it at once), a walk ends where that first
 * happens: from there on the two differ on purpose in when they send.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../src/protocol/messages.js";
import { openStore, type Store } from "../../src/store/index.js";
import { ProtocolStore } from "../../src/store/kernel/index.js";
import { MemoryBackend } from "../../src/store/memory/index.js";
import { learnVersions, walk } from "./reference-walk.js";
import { freshDatabasePath } from "./sqlite-support.js";

interface ReferenceServer {
  apply(
    now: number,
    req: unknown,
  ): { response: { head: { status: number }; data: unknown }; changes: { kind: string; address?: string; message?: unknown }[] };
}

// Not in the package's exports map: loaded by path, as a test fixture.
const REFERENCE = new URL("../../node_modules/@resonatehq/sdk/dist/src/network/local.js", import.meta.url).href;
const { Server } = (await import(REFERENCE)) as { Server: new () => ReferenceServer };

const T0 = 1_700_000_000_000;
const WALKS = 300;
const STEPS = 80;
const SQLITE_WALKS = 40;

describe("parity with the reference server (memory)", () => {
  for (let seed = 1; seed <= WALKS; seed++) {
    it(`walk ${seed}`, async () => {
      await compare(seed, new ProtocolStore(new MemoryBackend()));
    });
  }
});

describe("parity with the reference server (sqlite)", () => {
  for (let seed = 1; seed <= SQLITE_WALKS; seed++) {
    it(`walk ${seed}`, async () => {
      const { path, remove } = freshDatabasePath();
      try {
        await compare(seed, await openStore(path));
      } finally {
        await remove();
      }
    });
  }
});

async function compare(seed: number, store: Store): Promise<void> {
  const versions = new Map<string, number>();
  const reference = new Server();
  const delivered: Envelope[] = [];
  store.onMessage((envelope) => delivered.push(envelope));
  try {
    let i = 0;
    for (const step of walk(seed, STEPS, T0, versions)) {
      i++;
      const where = `seed ${seed}, step ${i}: ${JSON.stringify(step)}`;
      if ("tick" in step) {
        const ref = reference.apply(step.now, { kind: "debug.tick", head: { corrId: "t", version: "v" }, data: { time: step.now } });
        await store.tick(step.now);
        const messages = delivered.splice(0);
        expect(sortMessages(messages), where).toEqual(sortMessages(messagesOf(ref.changes)));
        learnVersions(versions, messages);
        continue;
      }
      const ref = reference.apply(step.now, step.req);
      const ours = await store.apply(step.req, step.now);
      expect(ours.head.status, `${where}\nours: ${JSON.stringify(ours.data)}\nreference: ${JSON.stringify(ref.response.data)}`).toBe(
        ref.response.head.status,
      );
      if (!(step.req.kind === "task.suspend" && ours.head.status === 422)) {
        expect(normalize(ours.data), where).toEqual(normalize(ref.response.data));
      }
      const messages = delivered.splice(0);
      // Only our backoff releases a task without sending it.
      if (step.req.kind === "task.release" && ours.head.status === 200 && messages.length === 0) break;
      expect(messages, where).toEqual(messagesOf(ref.changes));
      learnVersions(versions, [ours.data, ...messages]);
    }
  } finally {
    await store.close();
  }
}

function messagesOf(changes: { kind: string; address?: string; message?: unknown }[]): Envelope[] {
  return changes.filter((c) => c.kind === "message.send").map((c) => ({ address: c.address, message: c.message }) as Envelope);
}

function sortMessages(envelopes: Envelope[]): string[] {
  return envelopes.map(canonical).sort();
}

/** JSON with object keys sorted, so that key order does not matter. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

/** Drops our extension fields, sorts preloads by id, and ignores key order. */
function normalize(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(normalize);
  if (typeof data !== "object" || data === null) return data;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === "expiresAt" || key === "releases" || key === "idempotencyKeyForCreate" || key === "idempotencyKeyForComplete") continue;
    out[key] = key === "preload" && Array.isArray(value) ? sortById(value).map(normalize) : normalize(value);
  }
  return out;
}

function sortById(records: unknown[]): unknown[] {
  return [...records].sort((a, b) => String((a as { id: string }).id).localeCompare(String((b as { id: string }).id)));
}
