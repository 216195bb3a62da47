/** `reprise serve --allowed-hosts` and `--max-json-depth` reach the server. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nestedArrays, rawRequest } from "../server/raw-http.js";
import { serve, type ServeChild } from "./run-cli.js";

describe("reprise serve security flags", () => {
  let server: ServeChild;
  beforeAll(async () => {
    server = await serve(["--store", ":memory:", "--allowed-hosts", "reprise.internal, proxy.example", "--max-json-depth", "4"]);
  });
  afterAll(() => server.kill());

  it("serves the allowed Host names and refuses others", async () => {
    expect((await rawRequest(server.url, { path: "/promises?id=*", headers: { host: "proxy.example:8443" } })).status).toBe(200);
    expect((await rawRequest(server.url, { path: "/promises?id=*", headers: { host: "elsewhere.example" } })).status).toBe(403);
  });

  it("refuses a body deeper than --max-json-depth", async () => {
    const answer = await rawRequest(server.url, { method: "POST", path: "/", headers: { "content-type": "application/json" }, body: nestedArrays(5) });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("JSON nested at most 4 levels deep");
  });
});
