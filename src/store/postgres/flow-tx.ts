/**
 * Flow control's tables in PostgreSQL (kernel/flow.ts). A function and key's state row is locked
 * by `lockFlowRow` (made if missing, in the same statement) until the transaction ends, so two
 * servers acquiring tasks of one function take turns on its count. Ids can be long (a group, a
 * function and a key; a task id), so uniqueness and lookups go through md5 indexes, as for
 * callbacks; the queue's order is an index of its own.
 */
import type { PoolClient, QueryResultRow } from "pg";
import type { FlowDeclaration } from "../../protocol/records.js";
import type { FlowCounts, FlowRow, QueuedTask } from "../backend.js";
import { countsFrom, flowRowFrom, queuedFrom, type RowOfCounts, type RowOfFlow, type RowOfQueue } from "../sql-rows.js";
import { flowRowId } from "../kernel/flow.js";

const ROW_COLUMNS = "id, grp, func, key, running, starts, wake_at";
const QUEUE_COLUMNS = "seq, task_id, flow_id, grp, func, priority, created_at, version, address";

const SQL = {
  allLimits: "SELECT declaration FROM flow_limits ORDER BY id",
  getLimit: "SELECT declaration FROM flow_limits WHERE md5(id) = md5($1) AND id = $1",
  putLimit: `INSERT INTO flow_limits (id, declaration) VALUES ($1, $2)
    ON CONFLICT ((md5(id))) DO UPDATE SET declaration = EXCLUDED.declaration`,
  deleteLimit: "DELETE FROM flow_limits WHERE md5(id) = md5($1) AND id = $1",
  // The no-op update takes the row lock and returns the row as it is.
  lockRow: `INSERT INTO flow_rows (id, grp, func, key, running, starts) VALUES ($1, $2, $3, $4, 0, '[]')
    ON CONFLICT ((md5(id))) DO UPDATE SET running = flow_rows.running RETURNING ${ROW_COLUMNS}`,
  putRow: "UPDATE flow_rows SET running = $2, starts = $3, wake_at = $4 WHERE md5(id) = md5($1) AND id = $1",
  deleteRow: "DELETE FROM flow_rows WHERE md5(id) = md5($1) AND id = $1",
  dueRows: `SELECT ${ROW_COLUMNS} FROM flow_rows WHERE wake_at <= $1 ORDER BY wake_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
  queue: `INSERT INTO flow_queue (task_id, flow_id, grp, func, priority, created_at, version, address)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT ((md5(task_id))) DO UPDATE SET flow_id = EXCLUDED.flow_id, grp = EXCLUDED.grp, func = EXCLUDED.func,
      priority = EXCLUDED.priority, created_at = EXCLUDED.created_at, version = EXCLUDED.version, address = EXCLUDED.address`,
  unqueue: "DELETE FROM flow_queue WHERE md5(task_id) = md5($1) AND task_id = $1",
  // A task already queued keeps its place among equals (its seq); a new one comes after them.
  ahead: `SELECT count(*)::integer AS n FROM (SELECT 1 FROM flow_queue
    WHERE md5(flow_id) = md5($1) AND flow_id = $1 AND task_id <> $2 AND (priority > $3 OR (priority = $3 AND (created_at < $4
      OR (created_at = $4 AND seq < coalesce((SELECT seq FROM flow_queue WHERE md5(task_id) = md5($2) AND task_id = $2), 9223372036854775807)))))
    LIMIT $5) AS ahead`,
  heads: `SELECT ${QUEUE_COLUMNS} FROM flow_queue WHERE md5(flow_id) = md5($1) AND flow_id = $1
    ORDER BY priority DESC, created_at, seq LIMIT $2`,
  counts: `SELECT grp, func, sum(running)::integer AS running, sum(queued)::integer AS queued, sum(keys)::integer AS keys FROM (
      SELECT grp, func, running, 0 AS queued, 1 AS keys FROM flow_rows
      UNION ALL SELECT grp, func, 0, 1, 0 FROM flow_queue) AS counted
    GROUP BY grp, func ORDER BY grp, func LIMIT $1`,
} as const;

type Statement = keyof typeof SQL;

export class PostgresFlowTables {
  constructor(private readonly client: PoolClient) {}

  private async run<R extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    const result = await this.client.query<R>({ name: `reprise_flow_${statement}`, text: SQL[statement], values });
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  }

  async getFlowLimits(): Promise<FlowDeclaration[]> {
    const { rows } = await this.run<{ declaration: string }>("allLimits", []);
    return rows.map((row) => JSON.parse(row.declaration) as FlowDeclaration);
  }

  async getFlowLimit(group: string, func: string): Promise<FlowDeclaration | undefined> {
    const { rows } = await this.run<{ declaration: string }>("getLimit", [limitId(group, func)]);
    return rows[0] && (JSON.parse(rows[0].declaration) as FlowDeclaration);
  }

  async putFlowLimit(declaration: FlowDeclaration): Promise<void> {
    await this.run("putLimit", [limitId(declaration.group, declaration.func), JSON.stringify(declaration)]);
  }

  async deleteFlowLimit(group: string, func: string): Promise<void> {
    await this.run("deleteLimit", [limitId(group, func)]);
  }

  async lockFlowRow(group: string, func: string, key: string): Promise<FlowRow> {
    const { rows } = await this.run<RowOfFlow>("lockRow", [flowRowId(group, func, key), group, func, key]);
    return flowRowFrom(rows[0]!);
  }

  async putFlowRow(row: FlowRow): Promise<void> {
    await this.run("putRow", [row.id, row.running, JSON.stringify(row.starts), row.wakeAt ?? null]);
  }

  async deleteFlowRow(id: string): Promise<void> {
    await this.run("deleteRow", [id]);
  }

  async dueFlowRows(now: number, limit: number): Promise<FlowRow[]> {
    return (await this.run<RowOfFlow>("dueRows", [now, limit])).rows.map(flowRowFrom);
  }

  async queueTask(entry: QueuedTask): Promise<void> {
    const { taskId, flowId, group, func, priority, createdAt, version, address } = entry;
    await this.run("queue", [taskId, flowId, group, func, priority, createdAt, version, address]);
  }

  async unqueueTask(taskId: string): Promise<boolean> {
    return (await this.run("unqueue", [taskId])).rowCount > 0;
  }

  async queuedAhead(flowId: string, entry: Pick<QueuedTask, "taskId" | "priority" | "createdAt">, limit: number): Promise<number> {
    const { rows } = await this.run<{ n: number }>("ahead", [flowId, entry.taskId, entry.priority, entry.createdAt, limit]);
    return rows[0]!.n;
  }

  async queueHeads(flowId: string, limit: number): Promise<QueuedTask[]> {
    return (await this.run<RowOfQueue>("heads", [flowId, limit])).rows.map(queuedFrom);
  }

  async flowCounts(limit: number): Promise<FlowCounts[]> {
    const { rows } = await this.run<RowOfCounts>("counts", [limit]);
    return rows.map(countsFrom);
  }
}

function limitId(group: string, func: string): string {
  return JSON.stringify([group, func]);
}
