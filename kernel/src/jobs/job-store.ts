import type { Knex } from "knex";
import type { JobRecord, JobStatus } from "../sdk/context.js";

const TABLE = "kernel.jobs";

interface JobRow {
  id: string;
  type: string;
  plugin_id: string;
  status: JobStatus;
  progress: number;
  payload: unknown;
  result: unknown;
  error: { code: string; message: string } | null;
  attempts: number;
  max_attempts: number;
  tenant_id: string;
  user_id: string | null;
  parent_id: string | null;
  idempotency_key: string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    type: row.type,
    pluginId: row.plugin_id,
    status: row.status,
    progress: Number(row.progress),
    payload: row.payload,
    result: row.result ?? null,
    error: row.error ?? null,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    tenantId: row.tenant_id,
    userId: row.user_id,
    parentId: row.parent_id,
    idempotencyKey: row.idempotency_key,
    createdAt: iso(row.created_at) as string,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

/** The `kernel.jobs` table: the truth about every job, whatever transport carries it. */
export class JobStore {
  constructor(private readonly db: Knex) {}

  /** Inserts a job, or returns the existing one with the same idempotency key. */
  async insert(job: {
    type: string;
    pluginId: string;
    payload: unknown;
    tenantId: string;
    userId: string | null;
    parentId: string | null;
    idempotencyKey: string | null;
    maxAttempts: number;
    runAt: Date;
  }): Promise<{ record: JobRecord; created: boolean }> {
    const row = {
      type: job.type,
      plugin_id: job.pluginId,
      status: "queued",
      payload: JSON.stringify(job.payload ?? {}),
      tenant_id: job.tenantId,
      user_id: job.userId,
      parent_id: job.parentId,
      idempotency_key: job.idempotencyKey,
      max_attempts: job.maxAttempts,
      run_at: job.runAt,
    };
    const inserted: JobRow[] = await this.db(TABLE).insert(row).onConflict(["tenant_id", "type", "idempotency_key"]).ignore().returning("*");
    if (inserted[0]) return { record: toRecord(inserted[0]), created: true };
    const existing: JobRow = await this.db(TABLE).where({ tenant_id: job.tenantId, type: job.type, idempotency_key: job.idempotencyKey }).first();
    return { record: toRecord(existing), created: false };
  }

  async get(id: string, tenantId?: string): Promise<JobRecord | null> {
    const q = this.db<JobRow>(TABLE).where({ id });
    if (tenantId) q.andWhere({ tenant_id: tenantId });
    const row = await q.first();
    return row ? toRecord(row) : null;
  }

  /** Moves a job to running unless it was cancelled or already finished; returns it, or null to skip. */
  async markRunning(id: string, attempt: number): Promise<JobRecord | null> {
    const rows: JobRow[] = await this.db(TABLE)
      .where({ id })
      .whereIn("status", ["queued", "retrying", "running"])
      .update({ status: "running", attempts: attempt, started_at: this.db.fn.now(), updated_at: this.db.fn.now() })
      .returning("*");
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async setProgress(id: string, progress: number): Promise<JobRecord | null> {
    const rows: JobRow[] = await this.db(TABLE).where({ id, status: "running" }).update({ progress, updated_at: this.db.fn.now() }).returning("*");
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async finish(id: string, status: JobStatus, fields: { result?: unknown; error?: { code: string; message: string } }): Promise<JobRecord | null> {
    const finished = status === "succeeded" || status === "failed" || status === "cancelled";
    const rows: JobRow[] = await this.db(TABLE)
      .where({ id })
      .whereNot({ status: "cancelled" })
      .update({
        status,
        ...(status === "succeeded" ? { progress: 1 } : {}),
        result: fields.result === undefined ? null : JSON.stringify(fields.result),
        error: fields.error ? JSON.stringify(fields.error) : null,
        finished_at: finished ? this.db.fn.now() : null,
        updated_at: this.db.fn.now(),
      })
      .returning("*");
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async cancel(id: string, tenantId: string): Promise<JobRecord | null> {
    const rows: JobRow[] = await this.db(TABLE)
      .where({ id, tenant_id: tenantId })
      .whereIn("status", ["queued", "retrying", "running"])
      .update({ status: "cancelled", finished_at: this.db.fn.now(), updated_at: this.db.fn.now() })
      .returning("*");
    return rows[0] ? toRecord(rows[0]) : this.get(id, tenantId);
  }

  async countByStatus(): Promise<{ type: string; status: string; count: number }[]> {
    const rows = await this.db(TABLE).select("type", "status").count<{ type: string; status: string; count: string }[]>("* as count").groupBy("type", "status");
    return rows.map((r) => ({ type: r.type, status: r.status, count: Number(r.count) }));
  }
}
