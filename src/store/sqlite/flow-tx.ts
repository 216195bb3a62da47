/**
 * Flow control's tables in SQLite (kernel/flow.ts): declarations, one state row per function and
 * key, and the queue of tasks waiting for room, ordered by its index (priority, age, arrival).
 * The write lock of the transaction serializes every read-modify-write of a row.
 */
import type { FlowDeclaration } from "../../protocol/records.js";
import type { FlowCounts, FlowRow, QueuedTask } from "../backend.js";
import { countsFrom, flowRowFrom, queuedFrom, type RowOfCounts, type RowOfFlow, type RowOfQueue } from "../sql-rows.js";
import { flowRowId } from "../kernel/flow.js";
import { LIMIT, type StatementCache } from "./statement-cache.js";

const SQL = {
  allLimits: "SELECT declaration FROM flow_limits ORDER BY grp, func",
  getLimit: "SELECT declaration FROM flow_limits WHERE grp = ? AND func = ?",
  putLimit: "INSERT OR REPLACE INTO flow_limits (grp, func, declaration) VALUES (?, ?, ?)",
  deleteLimit: "DELETE FROM flow_limits WHERE grp = ? AND func = ?",
  getRow: "SELECT * FROM flow_rows WHERE id = ?",
  putRow: `INSERT OR REPLACE INTO flow_rows (id, grp, func, key, running, starts, wake_at)
    VALUES (@id, @grp, @func, @key, @running, @starts, @wake_at)`,
  deleteRow: "DELETE FROM flow_rows WHERE id = ?",
  dueRows: `SELECT * FROM flow_rows WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at, id ${LIMIT}`,
  queue: `INSERT INTO flow_queue (task_id, flow_id, grp, func, priority, created_at, version, address)
    VALUES (@taskId, @flowId, @group, @func, @priority, @createdAt, @version, @address)
    ON CONFLICT (task_id) DO UPDATE SET flow_id = excluded.flow_id, grp = excluded.grp, func = excluded.func,
      priority = excluded.priority, created_at = excluded.created_at, version = excluded.version, address = excluded.address`,
  unqueue: "DELETE FROM flow_queue WHERE task_id = ?",
  // A task already queued keeps its place among equals (its seq); a new one comes after them.
  ahead: `SELECT count(*) AS n FROM (SELECT 1 FROM flow_queue WHERE flow_id = @flowId AND task_id <> @taskId AND (
      priority > @priority OR (priority = @priority AND (created_at < @createdAt OR (created_at = @createdAt
      AND seq < coalesce((SELECT seq FROM flow_queue WHERE task_id = @taskId), 9223372036854775807)))))
    LIMIT CAST(@limit AS INTEGER))`,
  heads: `SELECT * FROM flow_queue WHERE flow_id = ? ORDER BY priority DESC, created_at, seq ${LIMIT}`,
  counts: `SELECT grp, func, sum(running) AS running, sum(queued) AS queued, sum(keys) AS keys FROM (
      SELECT grp, func, running, 0 AS queued, 1 AS keys FROM flow_rows
      UNION ALL SELECT grp, func, 0, 1, 0 FROM flow_queue)
    GROUP BY grp, func ORDER BY grp, func ${LIMIT}`,
} as const;

export class SqliteFlowTables {
  constructor(private readonly statements: StatementCache) {}

  getFlowLimits(): FlowDeclaration[] {
    return (this.statements.get(SQL.allLimits).all() as { declaration: string }[]).map((row) => JSON.parse(row.declaration) as FlowDeclaration);
  }

  getFlowLimit(group: string, func: string): FlowDeclaration | undefined {
    const row = this.statements.get(SQL.getLimit).get(group, func) as { declaration: string } | undefined;
    return row && (JSON.parse(row.declaration) as FlowDeclaration);
  }

  putFlowLimit(declaration: FlowDeclaration): void {
    this.statements.get(SQL.putLimit).run(declaration.group, declaration.func, JSON.stringify(declaration));
  }

  deleteFlowLimit(group: string, func: string): void {
    this.statements.get(SQL.deleteLimit).run(group, func);
  }

  lockFlowRow(group: string, func: string, key: string): FlowRow {
    const id = flowRowId(group, func, key);
    const row = this.statements.get(SQL.getRow).get(id) as RowOfFlow | undefined;
    return row ? flowRowFrom(row) : { id, group, func, key, running: 0, starts: [] };
  }

  putFlowRow(row: FlowRow): void {
    this.statements.get(SQL.putRow).run({
      id: row.id,
      grp: row.group,
      func: row.func,
      key: row.key,
      running: row.running,
      starts: JSON.stringify(row.starts),
      wake_at: row.wakeAt ?? null,
    });
  }

  deleteFlowRow(id: string): void {
    this.statements.get(SQL.deleteRow).run(id);
  }

  dueFlowRows(now: number, limit: number): FlowRow[] {
    return (this.statements.get(SQL.dueRows).all(now, limit) as RowOfFlow[]).map(flowRowFrom);
  }

  queueTask(entry: QueuedTask): void {
    const { seq: _assigned, ...fields } = entry;
    this.statements.get(SQL.queue).run(fields);
  }

  unqueueTask(taskId: string): boolean {
    return this.statements.get(SQL.unqueue).run(taskId).changes > 0;
  }

  queuedAhead(flowId: string, entry: Pick<QueuedTask, "taskId" | "priority" | "createdAt">, limit: number): number {
    const { taskId, priority, createdAt } = entry;
    const { n } = this.statements.get(SQL.ahead).get({ flowId, taskId, priority, createdAt, limit }) as { n: number };
    return n;
  }

  queueHeads(flowId: string, limit: number): QueuedTask[] {
    return (this.statements.get(SQL.heads).all(flowId, limit) as RowOfQueue[]).map(queuedFrom);
  }

  flowCounts(limit: number): FlowCounts[] {
    const rows = this.statements.get(SQL.counts).all(limit) as RowOfCounts[];
    return rows.map(countsFrom);
  }
}
