/** Schedules: cron, the promise each run creates, next run counting down. */
import type { ScheduleRecord } from "../../../../protocol/records.js";
import { TAG } from "../../../../protocol/tags.js";
import { getJson } from "../api.js";
import { formatTime, fullTime, relative } from "../format.js";
import { useNow, usePolling } from "../hooks.js";

const REFRESH_MS = 5000;

export function SchedulesPage() {
  const { data, error } = usePolling(() => getJson<{ schedules: ScheduleRecord[]; cursor?: string }>("/schedules?limit=200"), REFRESH_MS, "schedules");
  const now = useNow();
  return (
    <section>
      <h1>Schedules</h1>
      {error && <p class="error-text">{error}</p>}
      <table class="list schedules">
        <thead>
          <tr>
            <th>Id</th>
            <th>Cron</th>
            <th>Function</th>
            <th>Creates</th>
            <th>Next run</th>
            <th>Last run</th>
          </tr>
        </thead>
        <tbody>
          {data?.schedules.map((schedule) => (
            <tr key={schedule.id} data-id={schedule.id}>
              <td class="mono">{schedule.id}</td>
              <td class="mono">{schedule.cron}</td>
              <td class="mono">{schedule.promiseTags[TAG.func] ?? "—"}</td>
              <td class="mono">{schedule.promiseId}</td>
              <td title={fullTime(schedule.nextRunAt)}>
                {formatTime(schedule.nextRunAt, now)} <span class="muted">({relative(schedule.nextRunAt, now)})</span>
              </td>
              <td title={fullTime(schedule.lastRunAt)}>{formatTime(schedule.lastRunAt, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.schedules.length === 0 && <p class="muted empty">No schedules.</p>}
      {data?.cursor && <p class="muted">Showing the first 200 schedules.</p>}
    </section>
  );
}
