/** Schedules name the promises they create from a template: `{{.id}}` and `{{.timestamp}}`. */

export function expandPromiseId(template: string, scheduleId: string, runAt: number): string {
  return template.replaceAll("{{.id}}", scheduleId).replaceAll("{{.timestamp}}", String(runAt));
}
