/** Workers connected to this server, and the tasks (executions to run) with their leases. */
import type { TaskRecord } from "../../../../protocol/records.js";
import type { WorkerInfo } from "../../../../server/workers.js";
import { getJson } from "../api.js";
import { formatTime, fullTime, relative } from "../format.js";
import { useNow, usePolling } from "../hooks.js";
import { executionHref } from "../route.js";

const REFRESH_MS = 3000;

export function WorkersPage() {
  const workers = usePolling(() => getJson<{ workers: WorkerInfo[] }>("/workers"), REFRESH_MS, "workers");
  const tasks = usePolling(() => getJson<{ tasks: TaskRecord[]; cursor?: string }>("/tasks?limit=200"), REFRESH_MS, "tasks");
  const now = useNow();
  return (
    <section>
      <h1>Workers</h1>
      {workers.error && <p class="error-text">{workers.error}</p>}
      <table class="list workers">
        <thead>
          <tr>
            <th>Group</th>
            <th>Process</th>
            <th>Connected</th>
          </tr>
        </thead>
        <tbody>
          {workers.data?.workers.map((worker) => (
            <tr key={`${worker.group}/${worker.pid}`}>
              <td class="mono">{worker.group}</td>
              <td class="mono">{worker.pid}</td>
              <td title={fullTime(worker.connectedAt)}>{relative(worker.connectedAt, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {workers.data && workers.data.workers.length === 0 && (
        <p class="muted empty">No worker is connected to this server. Embedded processes (a store file, no server) do not connect and are not listed.</p>
      )}

      <h2>Tasks</h2>
      {tasks.error && <p class="error-text">{tasks.error}</p>}
      <table class="list tasks">
        <thead>
          <tr>
            <th>Execution</th>
            <th>State</th>
            <th>Version</th>
            <th>Process</th>
            <th>Lease / redelivery</th>
          </tr>
        </thead>
        <tbody>
          {tasks.data?.tasks.map((task) => (
            <tr key={task.id} data-id={task.id}>
              <td>
                <a class="mono" href={executionHref(task.id)}>
                  {task.id}
                </a>
              </td>
              <td>
                <span class={`badge task-${task.state}`}>{task.state}</span>
                {task.queued && <span class="badge task-queued" title="held back by flow control until its function has room">queued</span>}
              </td>
              <td>{task.version}</td>
              <td class="mono">{task.pid ?? "—"}</td>
              <td title={fullTime(task.expiresAt)}>
                {task.queued ? "when its function has room" : task.expiresAt === undefined ? "—" : `${task.state === "acquired" ? "expires" : "due"} ${relative(task.expiresAt, now)} (${formatTime(task.expiresAt, now)})`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {tasks.data && tasks.data.tasks.length === 0 && <p class="muted empty">No tasks.</p>}
      {tasks.data?.cursor && <p class="muted">Showing the first 200 tasks.</p>}
    </section>
  );
}
