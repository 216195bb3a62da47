/** Without PostgreSQL (the default ledger), main.ts says what to start or set, not a pg-pool stack. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/e2e/servers.js";
import { REPO_ROOT } from "../../test/examples-helpers/example-process.js";
import { TempDir } from "../../test/examples-helpers/temp-dir.js";
import { ledgerUnavailable } from "./open-ledger.js";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

describe("a ledger that cannot be opened", () => {
  it("names where PostgreSQL was looked for (password masked) and the ways to run without it", () => {
    const text = ledgerUnavailable(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { PG_URL: "postgres://app:secret@127.0.0.1:5432/test" });
    expect(text).toContain("cannot reach PostgreSQL at postgres://app:***@127.0.0.1:5432/test, the default ledger (connect ECONNREFUSED 127.0.0.1:5432)");
    expect(text).toContain("LEDGER_DB=./ledger.db");
    expect(text).not.toContain("secret");
  });

  it("main.ts exits 1 with that message when nothing listens at PG_URL", async () => {
    dir = new TempDir();
    const port = await freePort(); // free a moment ago: nothing listens there
    const result = spawnSync(process.execPath, ["--import", "tsx", "examples/account-creation/main.ts", "u1"], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PG_URL: `postgres://postgres@127.0.0.1:${port}/test`,
        LEDGER_DB: "",
        TB_ADDRESS: "",
        ACCOUNTS_DB: join(dir.path, "accounts.db"),
        REPRISE_STORE: join(dir.path, "reprise.db"),
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`cannot reach PostgreSQL at postgres://postgres@127.0.0.1:${port}/test`);
    expect(result.stderr).not.toContain("pg-pool");
  });
});
