/** Cron arithmetic for schedules, in UTC so that every replica agrees on the next run. */
import { cronExpressionParser } from "../../protocol/cron-parser.js";

/** The first run strictly after `after`, or undefined when `cron` is not a cron expression. */
export function nextCronRun(cron: string, after: number): number | undefined {
  try {
    return cronExpressionParser().parse(cron, { currentDate: new Date(after), tz: "UTC" }).next().getTime();
  } catch {
    return undefined;
  }
}
