/** Everything a memory backend holds, as tables that commit or roll back together. */
import type { PromiseRecord, ScheduleRecord, TaskRecord } from "../../protocol/records.js";
import type { FinishedRoot } from "../backend.js";
import { Table } from "./table.js";

export class MemoryTables {
  readonly promises = new Table<PromiseRecord>();
  readonly tasks = new Table<TaskRecord>();
  readonly schedules = new Table<ScheduleRecord>();
  /** awaited id → awaiter ids, in registration order. */
  readonly callbacks = new Table<readonly string[]>();
  /** awaiter id → awaited ids: the reverse index, to drop a fulfilled task's callbacks. */
  readonly callbacksByAwaiter = new Table<readonly string[]>();
  /** awaited id → addresses, in registration order. */
  readonly listeners = new Table<readonly string[]>();
  /** Finished execution roots, for retention. */
  readonly finished = new Table<FinishedRoot>();

  private readonly all = [this.promises, this.tasks, this.schedules, this.callbacks, this.callbacksByAwaiter, this.listeners, this.finished];

  begin(): void {
    for (const table of this.all) table.begin();
  }

  commit(): void {
    for (const table of this.all) table.commit();
  }

  rollback(): void {
    for (const table of this.all) table.rollback();
  }
}
