/**
 * cron-parser, loaded on its first use. It and the date library it brings take 10–15 ms to load,
 * which every process would pay at start-up (a restarted worker before its first recovered step)
 * although most never see a cron expression. Required synchronously, so callers stay synchronous.
 */
import { createRequire } from "node:module";
import type { CronExpressionParser } from "cron-parser";

let parser: typeof CronExpressionParser | undefined;

export function cronExpressionParser(): typeof CronExpressionParser {
  parser ??= (createRequire(import.meta.url)("cron-parser") as { CronExpressionParser: typeof CronExpressionParser }).CronExpressionParser;
  return parser;
}
