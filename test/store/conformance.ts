/**
 * The store conformance suite: one description of the protocol's behaviour that every store
 * (memory, SQLite, PostgreSQL) must pass unchanged. A difference between stores is a bug in one
 * of them. Every test gets a fresh store from `open` and passes time explicitly.
 */
import { describe } from "vitest";
import { batchSpecs } from "./conformance/batches.js";
import { concurrencySpecs } from "./conformance/concurrency.js";
import { flowSpecs } from "./conformance/flow.js";
import { useSubject, type OpenStore } from "./conformance/harness.js";
import { promiseSpecs } from "./conformance/promises.js";
import { retentionSpecs } from "./conformance/retention.js";
import { searchSpecs } from "./conformance/search.js";
import { taskSpecs } from "./conformance/tasks.js";
import { timeSpecs } from "./conformance/time.js";
import { validationSpecs } from "./conformance/validation.js";

export type { OpenStore } from "./conformance/harness.js";

export function describeStoreConformance(name: string, open: OpenStore): void {
  describe(`${name} store conformance`, () => {
    const subject = useSubject(open);
    promiseSpecs(subject);
    taskSpecs(subject);
    timeSpecs(subject);
    searchSpecs(subject);
    validationSpecs(subject);
    concurrencySpecs(subject);
    batchSpecs(subject, open);
    flowSpecs(subject, open);
    retentionSpecs(subject);
  });
}
