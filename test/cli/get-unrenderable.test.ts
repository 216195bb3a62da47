/** `reprise get` on a record whose payload cannot be rendered (JSON nested 20,000 deep) shows it raw instead of crashing. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../server/harness.js";
import { nestedArrays } from "../server/raw-http.js";
import { reprise } from "./run-cli.js";

describe("reprise get", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    const deep = { headers: {}, data: Buffer.from(nestedArrays(20_000)).toString("base64") };
    await server.send("promise.create", { id: "deep", timeoutAt: Date.now() + 60_000, param: deep, tags: {} });
    await server.send("promise.create", { id: "text", timeoutAt: Date.now() + 60_000, param: { headers: {}, data: Buffer.from("plain words").toString("base64") }, tags: {} });
  });
  afterAll(() => server.close());

  it("shows a payload nested too deep raw, with a note", async () => {
    const result = await reprise(["get", "deep", "--server", server.url]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/param\s+\(shown raw: JSON nested deeper than 1000 levels\) \[\[\[/);
  });

  it("shows a payload that is not JSON as its text", async () => {
    const result = await reprise(["get", "text", "--server", server.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/param\s+\(shown raw: not JSON\) plain words/);
  });
});
