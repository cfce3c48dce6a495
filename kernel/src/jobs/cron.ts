import cronParser from "cron-parser";
import { kernelError } from "../errors.js";

/**
 * The next occurrence of a cron expression strictly after `after`: 5 fields (minute first) or
 * 6 (seconds first), read in `timezone` (UTC when null). Throws KERNEL_VALIDATION on a bad one.
 */
export function nextOccurrence(cron: string, after: Date, timezone: string | null = null): Date {
  const fields = cron.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6) {
    throw kernelError("KERNEL_VALIDATION", `cron "${cron}" must have 5 fields (minute hour day month weekday) or 6 (seconds first)`);
  }
  try {
    return cronParser
      .parseExpression(cron, { currentDate: after, tz: timezone ?? "UTC" })
      .next()
      .toDate();
  } catch (err) {
    throw kernelError(
      "KERNEL_VALIDATION",
      `cron "${cron}"${timezone ? ` in ${timezone}` : ""} is not valid: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
