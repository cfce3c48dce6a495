import type { Knex } from "knex";
import type { JobRecord, JobSchedule } from "../sdk/context.js";
import { nextOccurrence } from "./cron.js";
import type { JobStore, NewJob } from "./job-store.js";

const TABLE = "kernel.job_schedules";

interface ScheduleRow {
  id: string;
  tenant_id: string;
  plugin_id: string;
  type: string;
  key: string;
  cron: string;
  timezone: string | null;
  payload: unknown;
  user_id: string | null;
  max_attempts: number | null;
  next_run_at: Date | string;
  last_run_at: Date | string | null;
}

function toSchedule(row: ScheduleRow): JobSchedule {
  return {
    id: row.id,
    type: row.type,
    key: row.key,
    cron: row.cron,
    timezone: row.timezone,
    payload: row.payload,
    tenantId: row.tenant_id,
    nextRunAt: new Date(row.next_run_at).toISOString(),
    lastRunAt: row.last_run_at === null ? null : new Date(row.last_run_at).toISOString(),
  };
}

export interface ScheduleInput {
  pluginId: string;
  type: string;
  cron: string;
  payload: unknown;
  tenantId: string;
  key: string;
  userId: string | null;
  timezone: string | null;
  maxAttempts: number | null;
}

/**
 * Cron schedules, kept in `kernel.job_schedules` (not in Redis, so a Redis restart loses none).
 * Every process that runs workers ticks: due schedules are taken with `for update skip locked`,
 * so one process enqueues each occurrence, and the occurrence's idempotency key
 * (`schedule:<key>:<time>`) guards against a second one anyway.
 */
export class JobScheduler {
  constructor(
    private readonly db: Knex,
    private readonly store: JobStore,
  ) {}

  async upsert(input: ScheduleInput): Promise<JobSchedule> {
    const next = nextOccurrence(input.cron, new Date(), input.timezone);
    const row = {
      tenant_id: input.tenantId,
      plugin_id: input.pluginId,
      type: input.type,
      key: input.key,
      cron: input.cron,
      timezone: input.timezone,
      payload: JSON.stringify(input.payload ?? {}),
      user_id: input.userId,
      max_attempts: input.maxAttempts,
      next_run_at: next,
    };
    const rows: ScheduleRow[] = await this.db(TABLE)
      .insert(row)
      .onConflict(["tenant_id", "type", "key"])
      .merge({ ...row, updated_at: this.db.fn.now() })
      .returning("*");
    return toSchedule(rows[0] as ScheduleRow);
  }

  async remove(type: string, key: string, tenantId: string): Promise<boolean> {
    const removed = await this.db(TABLE).where({ type, key, tenant_id: tenantId }).delete().returning("id");
    return removed.length > 0;
  }

  async list(tenantId: string): Promise<JobSchedule[]> {
    const rows: ScheduleRow[] = await this.db(TABLE).where({ tenant_id: tenantId }).orderBy("type").orderBy("key");
    return rows.map(toSchedule);
  }

  /**
   * Enqueues one job per due schedule of the given types and moves each schedule to its next
   * occurrence after now (occurrences missed while no worker ran collapse into this one).
   * Returns the jobs it created; the caller dispatches them.
   */
  async fire(types: string[], defaults: (type: string) => { maxAttempts: number }): Promise<JobRecord[]> {
    if (types.length === 0) return [];
    const now = new Date();
    return this.db.transaction(async (trx) => {
      const due: ScheduleRow[] = await trx(TABLE)
        .whereIn("type", types)
        .andWhere("next_run_at", "<=", now)
        .orderBy("next_run_at")
        .limit(100)
        .forUpdate()
        .skipLocked();
      const created: JobRecord[] = [];
      for (const s of due) {
        const occurrence = new Date(s.next_run_at);
        let next: Date;
        try {
          next = nextOccurrence(s.cron, now, s.timezone);
        } catch {
          // A schedule that no longer parses (time zone data changed) is parked a day, not retried every tick.
          next = new Date(now.getTime() + 86_400_000);
        }
        await trx(TABLE).where({ id: s.id }).update({ next_run_at: next, last_run_at: occurrence, updated_at: trx.fn.now() });
        const job: NewJob = {
          type: s.type,
          pluginId: s.plugin_id,
          payload: s.payload,
          tenantId: s.tenant_id,
          userId: s.user_id,
          assetId: null,
          parentId: null,
          idempotencyKey: `schedule:${s.key}:${occurrence.toISOString()}`,
          maxAttempts: s.max_attempts ?? defaults(s.type).maxAttempts,
          runAt: now,
        };
        const { record, created: isNew } = await this.store.insert(job, trx);
        if (isNew) created.push(record);
      }
      return created;
    });
  }
}
