/** `reprise serve` start-up as a newcomer meets it: a busy port, and a store URL with a password. */
import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { serveBanner } from "../../src/cli/commands/serve.js";
import { dropSchema, freshSchemaName, PG_URL, postgresAvailable } from "../store/postgres-support.js";
import { reprise, serve } from "./run-cli.js";

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe("reprise serve on a port already in use", () => {
  it("exits at once, non-zero, with one line that names the port and suggests --port", async () => {
    const { server, port } = await occupyPort();
    try {
      // Before the fix this never exited (the ticker kept failing on the closed store); run-cli's 30 s timeout would kill it.
      const result = await reprise(["serve", "--port", String(port), "--store", ":memory:"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(`error: port ${port} on 127.0.0.1 is already in use (another \`reprise serve\`?); pick another with --port\n`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("the serve banner", () => {
  it("masks the store URL's password", () => {
    expect(serveBanner("http://127.0.0.1:8001", "postgres://app:secret@db/reprise", true)).toBe(
      "Reprise server listening on http://127.0.0.1:8001 (store postgres://app:***@db/reprise, auth on); dashboard: http://127.0.0.1:8001/dashboard/",
    );
    expect(serveBanner("http://127.0.0.1:8001", undefined, false)).toContain("(store ./reprise.db, auth off)");
  });

  it("never prints the password of a real PostgreSQL store", async (context) => {
    if (!(await postgresAvailable())) return context.skip();
    const schema = freshSchemaName();
    const url = new URL(PG_URL);
    // The test database trusts loopback connections, so any password gets in; a URL that carries
    // its own password (REPRISE_PG_URL) keeps it, and that one must not show either.
    if (!url.password) url.password = "s3cret-in-banner";
    const secret = decodeURIComponent(url.password);
    url.searchParams.set("schema", schema);
    const child = await serve(["--store", url.toString()]);
    try {
      expect(child.output()).toContain(`:***@${url.host}`);
      expect(child.output()).not.toContain(secret);
    } finally {
      await child.kill();
      await dropSchema(schema);
    }
  });
});
