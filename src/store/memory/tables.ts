/** Everything a memory backend holds, as tables that commit or roll back together. */
import type { FlowDeclaration, PromiseRecord, ScheduleRecord, TaskRecord } from "../../protocol/records.js";
import type { FinishedRoot, FlowRow, QueuedTask } from "../backend.js";
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

  /** Flow control: declarations by `group\0func`, state rows by id, queued tasks by task id. */
  readonly flowLimits = new Table<FlowDeclaration>();
  readonly flowRows = new Table<FlowRow>();
  readonly flowQueue = new Table<QueuedTask>();
  /** The next queue entry's `seq` (never reused, so it need not roll back). */
  nextQueueSeq = 1;

  private readonly all = [
    this.promises,
    this.tasks,
    this.schedules,
    this.callbacks,
    this.callbacksByAwaiter,
    this.listeners,
    this.flowLimits,
    this.flowRows,
    this.flowQueue,
    this.finished,
  ];

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
