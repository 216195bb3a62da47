/**
 * Signals a workflow from outside by settling a durable promise it awaits under a deterministic
 * id. The signal may arrive before the workflow has created that promise, so it creates it first:
 * create is idempotent by id, whichever side comes first makes it and the other finds it.
 */
import type { DurablePromiseView, Reprise } from "../../src/index.js";

export async function signal<T>(reprise: Reprise, id: string, value: T, options: { idempotencyKey?: string } = {}): Promise<DurablePromiseView<T>> {
  await reprise.promises.create(id);
  return reprise.promises.resolve<T>(id, value, options);
}
