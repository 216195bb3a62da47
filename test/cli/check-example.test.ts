/**
 * `reprise check` end to end, on a store written by the real order-lifecycle example: the service
 * runs as its own process, takes orders over HTTP, and is killed with SIGKILL while they wait for
 * their next event. The check then replays them from that SQLite file against the example's own
 * code (clean), a next version that adds a step on confirm (the orders confirmed under the old
 * code diverge, named with the position), and the same change behind ctx.patched (clean).
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExampleProcess, killAll } from "../examples-helpers/example-process.js";
import { baseUrl, postJson } from "../examples-helpers/http.js";
import { TempDir } from "../examples-helpers/temp-dir.js";
import { reprise } from "./run-cli.js";

const MAIN = "examples/order-lifecycle/main.ts";
const OWN_CODE = fileURLToPath(new URL("../../examples/order-lifecycle/register.ts", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

let dir: TempDir;
let store: string;

/** Each order is left waiting in another state: created, confirmed, shipped. */
const ORDERS: Array<[id: string, events: string[], waitsIn: string]> = [
  ["o-1", [], "created"],
  ["o-2", ["confirm"], "confirmed"],
  ["o-3", ["confirm", "ship"], "shipped"],
];

beforeAll(async () => {
  dir = new TempDir("reprise-check-example-");
  store = dir.file("order-lifecycle.db");
  const service = ExampleProcess.start(MAIN, { env: { PORT: "0", REPRISE_STORE: store, ORDERS_DB: dir.file("orders.db") } });
  const url = baseUrl((await service.waitFor("LISTENING ")).text);
  for (const [id, events, waitsIn] of ORDERS) {
    expect((await postJson(`${url}/orders/${id}`)).status).toBeLessThan(300);
    let reply: { status: number; body: unknown } = { status: 0, body: undefined };
    for (const event of events) reply = await postJson(`${url}/orders/${id}/events/${event}`);
    if (events.length > 0) expect(reply, JSON.stringify(reply.body)).toMatchObject({ status: 200, body: { state: waitsIn } });
  }
  // In flight: every order waits for its next event when the process dies.
  await service.kill();
}, 60_000);

afterAll(async () => {
  await killAll();
  dir?.remove();
});

describe("reprise check on the order-lifecycle example's own store", () => {
  it("exits 0 for the code that wrote it", async () => {
    const result = await reprise(["check", "--store", store, "--module", OWN_CODE]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^3 replayed in [\d.]+ s: 3 clean, 0 would diverge, 0 skipped$/m);
  });

  it("exits 4 for a step added on confirm, naming each confirmed order and the position", async () => {
    const result = await reprise(["check", "--store", store, "--module", fixture("order-lifecycle-charge-on-confirm.ts")]);
    expect(result.code).toBe(4);
    const diverged = result.stdout.split("\n").filter((line) => line.startsWith("DIVERGES "));
    expect(diverged).toHaveLength(2);
    for (const id of ["o-2", "o-3"]) {
      expect(diverged).toContainEqual(
        expect.stringMatching(new RegExp(`^DIVERGES order-${id} \\(orderLifecycle\\) at order-${id}\\.\\d+: recorded step notify, the new code calls step chargeCard$`)),
      );
    }
    // o-1 waits before the change: its history ends before the new step, so it is safe.
    expect(result.stdout).not.toContain("order-o-1 ");
    expect(result.stdout).toMatch(/3 replayed in [\d.]+ s: 1 clean, 2 would diverge, 0 skipped/);
  });

  it("exits 0 for the same change behind ctx.patched", async () => {
    const result = await reprise(["check", "--store", store, "--module", fixture("order-lifecycle-charge-on-confirm-patched.ts")]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/3 replayed in [\d.]+ s: 3 clean, 0 would diverge, 0 skipped/);
  });
});
