/** redactUrl: the store URL's password never reaches a banner, a log line or an error message. */
import { describe, expect, it } from "vitest";
import { redactIn, redactUrl } from "../../src/observability/redact-url.js";

describe("redactUrl", () => {
  it("masks the password and keeps everything a reader needs to find the database", () => {
    expect(redactUrl("postgres://postgres:secret@127.0.0.1:5432/test")).toBe("postgres://postgres:***@127.0.0.1:5432/test");
    expect(redactUrl("postgresql://app:p%40ss@db.internal/reprise?sslmode=require&schema=jobs")).toBe(
      "postgresql://app:***@db.internal/reprise?sslmode=require&schema=jobs",
    );
  });

  it("masks secrets passed as query parameters", () => {
    expect(redactUrl("postgres://app@db/reprise?password=secret&sslmode=verify-full")).toBe("postgres://app@db/reprise?password=***&sslmode=verify-full");
  });

  it("leaves URLs without credentials and SQLite paths as they are", () => {
    for (const spec of ["postgres://app@db/reprise", "./reprise.db", ":memory:", "/var/lib/reprise/app.db", "http://127.0.0.1:8001"]) {
      expect(redactUrl(spec)).toBe(spec);
    }
  });

  it("masks a password even in a URL that does not parse", () => {
    expect(redactUrl("postgres://app:secret@[broken/db")).toBe("postgres://app:***@[broken/db");
  });

  it("redacts a URL quoted inside an error message", () => {
    const url = "postgres://app:secret@db/reprise";
    expect(redactIn(`cannot connect to ${url}: refused`, url)).toBe("cannot connect to postgres://app:***@db/reprise: refused");
  });
});
