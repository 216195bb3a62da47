/** The `reprise` command end to end: the real bin against a real `reprise serve` child process. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../src/protocol/requests.js";
import { TAG } from "../../src/protocol/tags.js";
import { reprise, serve, type ServeChild } from "./run-cli.js";
import { freePort } from "../e2e/servers.js";

const EXIT = { ok: 0, failure: 1, usage: 2, unreachable: 3 };

let server: ServeChild;
/** Runs a command against the shared server. */
const cli = (...args: string[]) => reprise(["--server", server.url, ...args]);
const json = async (...args: string[]) => {
  const result = await cli("--json", ...args);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(EXIT.ok);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};
const decode = (data: string) => JSON.parse(Buffer.from(data, "base64").toString("utf8")) as unknown;

beforeAll(async () => {
  server = await serve(["--store", ":memory:"]);
});
afterAll(async () => {
  await server.kill();
});

describe("reprise serve", () => {
  it("listens on 127.0.0.1 only, on the port asked for", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("shuts down cleanly on SIGTERM, keeping what it acknowledged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-cli-"));
    try {
      const store = join(dir, "reprise.db");
      const first = await serve(["--store", store]);
      expect((await reprise(["--server", first.url, "invoke", "kept", "--func", "f"])).code).toBe(EXIT.ok);
      first.process.kill("SIGTERM");
      expect(await first.exited).toBe(0);

      const second = await serve(["--store", store]);
      try {
        const got = await reprise(["--server", second.url, "--json", "get", "kept"]);
        expect(JSON.parse(got.stdout)).toMatchObject({ promise: { id: "kept", state: "pending" } });
      } finally {
        await second.kill();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("reprise invoke / get / tree", () => {
  it("creates the root promise the way the SDKs do", async () => {
    const { promise } = await json("invoke", "order-1", "--func", "checkout", "--arg", '{"sku":"A1"}', "--arg", "2", "--target", "shop");
    expect(promise).toMatchObject({
      id: "order-1",
      state: "pending",
      tags: {
        [TAG.target]: "poll://any@shop",
        [TAG.scope]: "global",
        [TAG.origin]: "order-1",
        [TAG.branch]: "order-1",
        [TAG.parent]: "order-1",
        [TAG.func]: "checkout",
        [TAG.kind]: "root",
      },
    });
    expect(decode((promise as { param: { data: string } }).param.data)).toEqual({ func: "checkout", args: [{ sku: "A1" }, 2], version: 1 });
  });

  it("prints a readable line, and get shows the promise with decoded param", async () => {
    const invoked = await cli("invoke", "order-2", "--func", "checkout", "--timeout", "60000");
    expect(invoked).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining("order-2: checkout is pending on default") });
    const got = await cli("get", "order-2");
    expect(got.code).toBe(EXIT.ok);
    expect(got.stdout).toMatch(/^id\s+order-2$/m);
    expect(got.stdout).toMatch(/^state\s+pending$/m);
    expect(got.stdout).toMatch(/^param\s+\{"func":"checkout","args":\[\],"version":1\}$/m);
  });

  it("get, tree and resolve of a missing promise exit 1 and name the id", async () => {
    for (const command of [["get"], ["tree"], ["promises", "resolve"]]) {
      const missing = await cli(...command, "no-such-promise");
      expect(missing.code).toBe(EXIT.failure);
      expect(missing.stderr).toBe('error: promise "no-such-promise" not found\n');
    }
    expect((await cli("schedules", "get", "no-such-schedule")).stderr).toBe('error: schedule "no-such-schedule" not found\n');
  });

  it("tree draws the call tree", async () => {
    await cli("invoke", "wf", "--func", "signup");
    for (const [id, kind] of [["wf.1", "step"], ["wf.2", "sleep"], ["wf.1.1", "step"]]) {
      await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          kind: "promise.create",
          head: { corrId: id, version: PROTOCOL_VERSION },
          data: { id, timeoutAt: Date.now() + 60_000, param: {}, tags: { [TAG.kind]: kind } },
        }),
      });
    }
    const tree = await cli("tree", "wf");
    expect(tree.code).toBe(EXIT.ok);
    const lines = tree.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^wf {2}\(root signup\) {2}pending/);
    expect(lines.slice(1).map((line) => line.replace(/ {2}pending.*$/, ""))).toEqual(["├─ wf.1  (step)", "│  └─ wf.1.1  (step)", "└─ wf.2  (sleep)"]);
    expect((await json("tree", "wf")).tree).toMatchObject({ id: "wf", children: [{ id: "wf.1" }, { id: "wf.2" }] });
  });
});

describe("reprise promises", () => {
  it("search filters by id glob, state and tag", async () => {
    await cli("invoke", "batch-1", "--func", "job");
    await cli("invoke", "batch-2", "--func", "job");
    await cli("promises", "resolve", "batch-2");
    const { promises } = await json("promises", "search", "--id", "batch-*", "--state", "pending", "--tag", `${TAG.func}=job`);
    expect((promises as { id: string }[]).map((p) => p.id)).toEqual(["batch-1"]);
    const listed = await cli("promises", "search", "--id", "batch-*");
    expect(listed.stdout).toMatch(/^batch-1\s+pending\s+job\s/m);
    expect(listed.stdout).toMatch(/^batch-2\s+resolved\s+job\s/m);
  });

  it("resolve stores a JSON value; settling again differently exits 1", async () => {
    await cli("invoke", "approval", "--func", "wait");
    const { promise } = await json("promises", "resolve", "approval", "--value", '{"approved":true}');
    expect(promise).toMatchObject({ state: "resolved" });
    expect(decode((promise as { value: { data: string } }).value.data)).toEqual({ approved: true });
    const again = await cli("promises", "reject", "approval");
    expect(again.code).toBe(EXIT.failure);
    expect(again.stderr).toContain("promise approval was already resolved");
  });

  it("resolving an already resolved promise says so, exits 1 and keeps the first value", async () => {
    await cli("invoke", "twice", "--func", "wait");
    expect((await cli("promises", "resolve", "twice", "--value", '"first"')).code).toBe(EXIT.ok);
    const again = await cli("promises", "resolve", "twice", "--value", '"second"');
    expect(again.code).toBe(EXIT.failure);
    expect(again.stderr).toMatch(/^error: promise twice was already resolved at \S+; nothing changed \(see `reprise get twice`\)\n$/);
    const { promise } = await json("get", "twice");
    expect(decode((promise as { value: { data: string } }).value.data)).toBe("first");
  });

  it("reject and cancel", async () => {
    await cli("invoke", "r", "--func", "f");
    await cli("invoke", "c", "--func", "f");
    expect((await json("promises", "reject", "r", "--value", '"bad input"')).promise).toMatchObject({ state: "rejected" });
    expect((await json("promises", "cancel", "c")).promise).toMatchObject({ state: "rejected_canceled" });
  });
});

describe("reprise schedules", () => {
  it("create, get, search, delete; get after delete exits 1", async () => {
    const { schedule } = await json("schedules", "create", "nightly", "--cron", "0 3 * * *", "--func", "report", "--arg", "7", "--target", "reports");
    expect(schedule).toMatchObject({ id: "nightly", cron: "0 3 * * *", promiseTags: { [TAG.target]: "poll://any@reports", [TAG.func]: "report" } });
    expect(decode((schedule as { promiseParam: { data: string } }).promiseParam.data)).toEqual({ func: "report", args: [7], version: 1 });
    expect((await cli("schedules", "get", "nightly")).stdout).toMatch(/^cron\s+0 3 \* \* \*$/m);
    expect((await cli("schedules", "search")).stdout).toMatch(/^nightly\s+0 3 \* \* \*\s+report/m);
    expect((await cli("schedules", "delete", "nightly")).code).toBe(EXIT.ok);
    expect((await cli("schedules", "get", "nightly")).code).toBe(EXIT.failure);
  });

  it("a bad cron is a usage error (exit 2) that names the option", async () => {
    const refused = await cli("schedules", "create", "bad", "--cron", "every day", "--func", "f");
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain(`error: --cron expects a cron expression such as '*/5 * * * *' (minute hour day month weekday), got "every day"`);
    expect((await cli("schedules", "get", "bad")).code).toBe(EXIT.failure);
  });
});

describe.concurrent("usage and help", () => {
  it.each([
    [["invoke", "x"], "required option '--func <name>' not specified"],
    [["invoke", "x", "--func", "f", "--arg", "not-json"], "--arg expects JSON"],
    [["promises", "search", "--limit", "many"], "--limit expects a whole number"],
    [["serve", "--log-level", "loud"], "Allowed choices are"],
    [["frobnicate"], "unknown command 'frobnicate'"],
  ])("reprise %j exits 2", async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(message);
  });

  it.each([[["--help"]], [["promises", "--help"]], [["schedules", "create", "--help"]], [["help", "tree"]]])("reprise %j prints help and exits 0", async (args) => {
    const result = await reprise(args);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain("Usage: reprise");
  });
});

describe("server connection", () => {
  it("exits 3 with a readable message when no server answers", async () => {
    // A port nothing listens on: bound once by the OS, then released.
    const port = await freePort();
    const result = await reprise(["--server", `http://127.0.0.1:${port}`, "get", "x"]);
    expect(result.code).toBe(EXIT.unreachable);
    expect(result.stderr).toContain(`cannot reach Reprise server at http://127.0.0.1:${port} — is \`reprise serve\` running?`);
  });

  it("reads the server URL from REPRISE_URL", async () => {
    const result = await reprise(["get", "no-such-promise"], { REPRISE_URL: server.url });
    expect(result.code).toBe(EXIT.failure);
  });

  it("passes the auth token to a server that requires one (flag or REPRISE_AUTH_TOKEN)", async () => {
    const guarded = await serve(["--store", ":memory:"], { REPRISE_AUTH_TOKEN: "t0ken" });
    try {
      const denied = await reprise(["--server", guarded.url, "get", "x"], { REPRISE_AUTH_TOKEN: "" });
      expect(denied.code).toBe(EXIT.failure);
      expect(denied.stderr).toContain("unauthorized");
      expect((await reprise(["--server", guarded.url, "--auth-token", "t0ken", "invoke", "x", "--func", "f"], { REPRISE_AUTH_TOKEN: "" })).code).toBe(EXIT.ok);
      expect((await reprise(["--server", guarded.url, "get", "x"], { REPRISE_AUTH_TOKEN: "t0ken" })).code).toBe(EXIT.ok);
    } finally {
      await guarded.kill();
    }
  });
});
