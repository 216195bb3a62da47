/**
 * What validating one protocol request costs, per request kind a worker sends most (a step's
 * fenced create, a step's fenced settle with a 64 KiB value, a suspend with 20 callbacks, a
 * task.create with tags). Not a test: timings are printed, never asserted.
 *
 *   node --import tsx scripts/measure-validation.ts [rounds=200000]
 *
 * Prints microseconds per request: the one validator (src/protocol/validation.ts) as the store
 * runs it for an embedded Reprise, and the server path (the edge parses and marks the request;
 * the store only looks the mark up). Before the merge, the server path was a zod schema at the
 * edge plus the kernel's own hand-written copy (figures in docs/server.md, "Limits").
 */
import { DEFAULT_LIMITS } from "../src/protocol/limits.js";
import { parseRequest, validateRequest, validatedWithin } from "../src/protocol/validation.js";

const ROUNDS = Number(process.argv[2] ?? 200_000);
const head = { corrId: "c-1", version: "2025-01-15" };
const action = (kind: string, data: object) => ({ kind, head: { corrId: "action", version: "2025-01-15" }, data });
const tags = { "resonate:scope": "local", "reprise:kind": "run", "reprise:func": "charge", "resonate:parent": "order-42", "resonate:origin": "order-42", "resonate:branch": "order-42" };

const REQUESTS: [string, unknown][] = [
  ["task.fence(promise.create)", { kind: "task.fence", head, data: { id: "order-42", version: 3, action: action("promise.create", { id: "order-42.7", timeoutAt: 1_800_000_000_000, param: { headers: {}, data: "eyJmdW5jIjoiY2hhcmdlIiwiYXJncyI6WzQyXX0=" }, tags }) } }],
  ["task.fence(settle, 64 KiB)", { kind: "task.fence", head, data: { id: "order-42", version: 3, action: action("promise.settle", { id: "order-42.7", state: "resolved", value: { headers: { "reprise:attempts": "1" }, data: "A".repeat(64 * 1024) } }) } }],
  ["task.suspend(20)", { kind: "task.suspend", head, data: { id: "order-42", version: 3, actions: Array.from({ length: 20 }, (_, i) => action("promise.register_callback", { awaited: `order-42.${i}`, awaiter: "order-42" })) } }],
  ["task.create", { kind: "task.create", head, data: { pid: "worker-1", ttl: 30_000, action: action("promise.create", { id: "order-42", timeoutAt: 1_800_000_000_000, param: { data: "eyJmdW5jIjoib3JkZXIifQ==" }, tags: { ...tags, "resonate:target": "poll://any@default" } }) } }],
];

function perRequest(run: () => unknown): number {
  for (let i = 0; i < ROUNDS / 10; i++) run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) run();
  return Number(process.hrtime.bigint() - start) / 1000 / ROUNDS;
}

const rows = REQUESTS.map(([name, req]) => {
  const embedded = perRequest(() => {
    if (validateRequest(req, DEFAULT_LIMITS) !== undefined) throw new Error(name);
  });
  const server = perRequest(() => {
    // A fresh object per request, as a parsed body is: the mark is per object.
    const body = { ...(req as object) };
    if (!parseRequest(body, DEFAULT_LIMITS).ok || !validatedWithin(body, DEFAULT_LIMITS)) throw new Error(name);
  });
  return { request: name, "embedded (store validates) µs": embedded.toFixed(2), "server (edge validates, store skips) µs": server.toFixed(2) };
});
console.table(rows);
