import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Crash tests spawn child processes and share PostgreSQL; keep files in a few forks.
    pool: "forks",
    maxWorkers: 2,
  },
});
