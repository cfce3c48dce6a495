import type { Knex } from "knex";
import { BATCH_JOB_TYPE, type BatchResult, type JobRecord, type JobStatus } from "../sdk/context.js";
import { withTenant } from "../tenancy/tenant-db.js";

const TABLE = "kernel.jobs";
const ACTIVE: JobStatus[] = ["queued", "retrying", "running"];
const FINAL: JobStatus[] = ["succeeded", "failed", "cancelled"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isFinal = (status: JobStatus) => FINAL.includes(status);
export const isUuid = (id: unknown): id is string => typeof id === "string" && UUID.test(id);

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
  asset_id: string | null;
  parent_id: string | null;
  idempotency_key: string | null;
  run_at: Date | string;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  updated_at: Date | string;
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
    assetId: row.asset_id ?? null,
    parentId: row.parent_id,
    idempotencyKey: row.idempotency_key,
    createdAt: iso(row.created_at) as string,
    runAt: iso(row.run_at) as string,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    updatedAt: iso(row.updated_at) as string,
  };
}

const first = (rows: JobRow[]) => (rows[0] ? toRecord(rows[0]) : null);

export interface NewJob {
  type: string;
  pluginId: string;
  payload: unknown;
  tenantId: string;
  userId: string | null;
  assetId: string | null;
  parentId: string | null;
  idempotencyKey: string | null;
  maxAttempts: number;
  runAt: Date;
}

export interface JobListFilter {
  status?: JobStatus[];
  type?: string;
  parentId?: string;
  assetId?: string;
  limit: number;
  /** The id of the last job of the previous page. */
  after?: string;
}

/** The `kernel.jobs` table: the truth about every job, whatever transport carries it. */
export class JobStore {
  constructor(private readonly db: Knex) {}

  private row(job: NewJob, status: JobStatus = "queued") {
    return {
      type: job.type,
      plugin_id: job.pluginId,
      status,
      payload: JSON.stringify(job.payload ?? {}),
      tenant_id: job.tenantId,
      user_id: job.userId,
      asset_id: job.assetId,
      parent_id: job.parentId,
      idempotency_key: job.idempotencyKey,
      max_attempts: job.maxAttempts,
      run_at: job.runAt,
    };
  }

  /** Inserts a job, or returns the existing one with the same idempotency key. */
  async insert(job: NewJob, trx: Knex = this.db): Promise<{ record: JobRecord; created: boolean }> {
    const inserted: JobRow[] = await trx(TABLE).insert(this.row(job)).onConflict(["tenant_id", "type", "idempotency_key"]).ignore().returning("*");
    if (inserted[0]) return { record: toRecord(inserted[0]), created: true };
    const existing: JobRow = await trx(TABLE).where({ tenant_id: job.tenantId, type: job.type, idempotency_key: job.idempotencyKey }).first();
    return { record: toRecord(existing), created: false };
  }

  /**
   * A batch parent (type `kernel.batch`, running from the start) and its children, in one
   * transaction. With an idempotency key already used, the existing batch comes back unchanged.
   */
  async insertBatch(parent: NewJob, children: NewJob[]): Promise<{ parent: JobRecord; children: JobRecord[]; created: boolean }> {
    return this.db.transaction(async (trx) => {
      const { record, created } = await this.insert(parent, trx);
      if (!created) return { parent: record, children: await this.children(record.id, trx), created };
      if (children.length === 0) {
        const done: BatchResult = { total: 0, succeeded: 0, failed: 0, cancelled: 0 };
        const rows: JobRow[] = await trx(TABLE)
          .where({ id: record.id })
          .update({ status: "succeeded", progress: 1, result: JSON.stringify(done), started_at: trx.fn.now(), finished_at: trx.fn.now() })
          .returning("*");
        return { parent: first(rows) as JobRecord, children: [], created };
      }
      const rows: JobRow[] = await trx(TABLE).update({ status: "running", started_at: trx.fn.now() }).where({ id: record.id }).returning("*");
      const inserted: JobRow[] = [];
      // Chunks keep each statement under Postgres' parameter limit.
      for (let i = 0; i < children.length; i += 1000) {
        const chunk = children.slice(i, i + 1000).map((c) => this.row({ ...c, parentId: record.id }));
        inserted.push(...((await trx(TABLE).insert(chunk).returning("*")) as JobRow[]));
      }
      return { parent: first(rows) as JobRecord, children: inserted.map(toRecord), created };
    });
  }

  /** Children of a job, in the order they were enqueued. */
  async children(parentId: string, trx: Knex = this.db): Promise<JobRecord[]> {
    const rows: JobRow[] = await trx(TABLE).where({ parent_id: parentId }).orderBy("created_at").orderBy("id");
    const records = rows.map(toRecord);
    const index = (r: JobRecord) => Number(r.idempotencyKey?.split("/").pop() ?? Number.NaN);
    if (records.every((r) => Number.isInteger(index(r)))) records.sort((a, b) => index(a) - index(b));
    return records;
  }

  /**
   * A job by id. With `tenantId` (a caller's request) the read runs as the tenant role under
   * row-level security; without it (workers, the scheduler) it runs as the owner across tenants.
   */
  async get(id: string, tenantId?: string): Promise<JobRecord | null> {
    if (!isUuid(id)) return null;
    const row = tenantId
      ? await withTenant(this.db, tenantId, (trx) => trx<JobRow>(TABLE).where({ id, tenant_id: tenantId }).first())
      : await this.db<JobRow>(TABLE).where({ id }).first();
    return row ? toRecord(row as JobRow) : null;
  }

  /** One page of a tenant's jobs, newest first. */
  async list(tenantId: string, filter: JobListFilter): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    if (filter.after && !isUuid(filter.after)) return { jobs: [], nextCursor: null };
    return withTenant(this.db, tenantId, (trx) => this.listPage(trx, tenantId, filter));
  }

  private async listPage(trx: Knex.Transaction, tenantId: string, filter: JobListFilter): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const q = trx<JobRow>(TABLE).where({ tenant_id: tenantId });
    if (filter.status?.length) q.whereIn("status", filter.status);
    if (filter.type) q.andWhere({ type: filter.type });
    if (filter.parentId) q.andWhere({ parent_id: filter.parentId });
    if (filter.assetId) q.andWhere({ asset_id: filter.assetId });
    if (filter.after) {
      q.andWhereRaw("(created_at, id) < (select created_at, id from kernel.jobs where id = ?)", [filter.after]);
    }
    const rows = (await q
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(filter.limit + 1)) as JobRow[];
    const jobs = rows.slice(0, filter.limit).map(toRecord);
    return { jobs, nextCursor: rows.length > filter.limit ? (jobs[jobs.length - 1]?.id ?? null) : null };
  }

  /**
   * Claims a job for one attempt by `workerId`: a queued or retrying job, or a running one whose
   * worker stopped renewing its lease (it died). Returns null when it is not claimable: finished,
   * cancelled, or running under a live lease elsewhere.
   */
  async claim(id: string, workerId: string, leaseMs: number): Promise<JobRecord | null> {
    const rows: JobRow[] = await this.db(TABLE)
      .where({ id })
      .andWhere((w) =>
        w
          .whereIn("status", ["queued", "retrying"])
          .orWhere((r) =>
            r
              .where({ status: "running" })
              .andWhere((h) => h.whereNull("heartbeat_at").orWhereRaw("heartbeat_at < now() - ?::interval", [`${leaseMs} milliseconds`])),
          ),
      )
      .update({
        status: "running",
        attempts: this.db.raw("attempts + 1"),
        progress: 0,
        worker_id: workerId,
        heartbeat_at: this.db.fn.now(),
        started_at: this.db.fn.now(),
        finished_at: null,
        updated_at: this.db.fn.now(),
      })
      .returning("*");
    return first(rows);
  }

  /** Renews the lease; false when the job is no longer running under this worker (cancelled, or taken over). */
  async heartbeat(id: string, workerId: string): Promise<boolean> {
    const rows = await this.db(TABLE).where({ id, worker_id: workerId, status: "running" }).update({ heartbeat_at: this.db.fn.now() }).returning("id");
    return rows.length > 0;
  }

  /** When the lease of a running job ends, or null when the job is not running. */
  async leaseEnds(id: string, leaseMs: number): Promise<number | null> {
    const row = await this.db(TABLE).where({ id, status: "running" }).first("heartbeat_at");
    if (!row) return null;
    return row.heartbeat_at ? new Date(row.heartbeat_at).getTime() + leaseMs : 0;
  }

  async setProgress(id: string, workerId: string, progress: number): Promise<JobRecord | null> {
    const rows: JobRow[] = await this.db(TABLE)
      .where({ id, worker_id: workerId, status: "running" })
      .update({ progress, heartbeat_at: this.db.fn.now(), updated_at: this.db.fn.now() })
      .returning("*");
    return first(rows);
  }

  /**
   * Ends the attempt `workerId` holds: succeeded, failed (the dead-letter state) or retrying
   * (again after `retryInMs`). Null when the attempt is no longer this worker's (cancelled meanwhile).
   */
  async finish(
    id: string,
    workerId: string,
    status: "succeeded" | "failed" | "retrying",
    fields: { result?: unknown; error?: { code: string; message: string }; retryInMs?: number },
  ): Promise<JobRecord | null> {
    const now = this.db.fn.now();
    const rows: JobRow[] = await this.db(TABLE)
      .where({ id, worker_id: workerId, status: "running" })
      .update({
        status,
        ...(status === "succeeded" ? { progress: 1 } : {}),
        ...(status === "retrying" ? { run_at: this.db.raw("now() + ?::interval", [`${Math.max(0, fields.retryInMs ?? 0)} milliseconds`]) } : {}),
        result: fields.result === undefined ? null : JSON.stringify(fields.result),
        error: fields.error ? JSON.stringify(fields.error) : null,
        finished_at: status === "retrying" ? null : now,
        worker_id: null,
        heartbeat_at: null,
        updated_at: now,
      })
      .returning("*");
    return first(rows);
  }

  /** Gives a running attempt back untouched (the worker is shutting down): queued again, the attempt not counted. */
  async release(id: string, workerId: string): Promise<JobRecord | null> {
    const rows: JobRow[] = await this.db(TABLE)
      .where({ id, worker_id: workerId, status: "running" })
      .update({
        status: "queued",
        attempts: this.db.raw("greatest(attempts - 1, 0)"),
        worker_id: null,
        heartbeat_at: null,
        run_at: this.db.fn.now(),
        updated_at: this.db.fn.now(),
      })
      .returning("*");
    return first(rows);
  }

  /** Cancels a job that has not ended; returns it as it is now, or null when the tenant has no such job. */
  async cancel(id: string, tenantId: string): Promise<JobRecord | null> {
    if (!isUuid(id)) return null;
    const rows: JobRow[] = await withTenant(this.db, tenantId, (trx) =>
      trx(TABLE)
        .where({ id, tenant_id: tenantId })
        .whereIn("status", ACTIVE)
        .update({ status: "cancelled", finished_at: trx.fn.now(), updated_at: trx.fn.now() })
        .returning("*"),
    );
    return first(rows) ?? this.get(id, tenantId);
  }

  /** Cancels the children of a job that have not ended. */
  async cancelChildren(parentId: string): Promise<JobRecord[]> {
    const rows: JobRow[] = await this.db(TABLE)
      .where({ parent_id: parentId })
      .whereIn("status", ACTIVE)
      .update({ status: "cancelled", finished_at: this.db.fn.now(), updated_at: this.db.fn.now() })
      .returning("*");
    return rows.map(toRecord);
  }

  /** Puts a failed or cancelled job back to queued, from its first attempt. Null when it is not in such a state. */
  async reset(id: string, tenantId: string): Promise<JobRecord | null> {
    if (!isUuid(id)) return null;
    const rows: JobRow[] = await withTenant(this.db, tenantId, (trx) =>
      trx(TABLE)
        .where({ id, tenant_id: tenantId })
        .whereIn("status", ["failed", "cancelled"])
        .whereNot({ type: BATCH_JOB_TYPE })
        .update(this.resetFields())
        .returning("*"),
    );
    return first(rows);
  }

  /** Puts the failed and cancelled children of a batch back to queued. */
  async resetChildren(parentId: string): Promise<JobRecord[]> {
    const rows: JobRow[] = await this.db(TABLE)
      .where({ parent_id: parentId })
      .whereIn("status", ["failed", "cancelled"])
      .update(this.resetFields())
      .returning("*");
    return rows.map(toRecord);
  }

  private resetFields() {
    return {
      status: "queued",
      attempts: 0,
      progress: 0,
      result: null,
      error: null,
      started_at: null,
      finished_at: null,
      worker_id: null,
      heartbeat_at: null,
      run_at: this.db.fn.now(),
      updated_at: this.db.fn.now(),
    };
  }

  /** Makes a finished batch parent run again (a child was retried or added). */
  async reopenBatch(parentId: string): Promise<JobRecord | null> {
    const rows: JobRow[] = await this.db(TABLE)
      .where({ id: parentId, type: BATCH_JOB_TYPE })
      .whereIn("status", FINAL)
      .update({ status: "running", result: null, error: null, finished_at: null, updated_at: this.db.fn.now() })
      .returning("*");
    return first(rows);
  }

  /**
   * Recomputes a running batch parent from its children: progress is their mean (a finished
   * child counts as 1); once every child has ended the parent succeeds with the counts. Safe
   * to run from several workers at once: only one of them moves the parent to succeeded.
   * Null when nothing changed.
   */
  async refreshBatch(parentId: string): Promise<JobRecord | null> {
    const done = "agg.total > 0 and agg.succeeded + agg.failed + agg.cancelled = agg.total";
    const { rows } = await this.db.raw(
      `with agg as (
         select count(*)::int as total,
                (count(*) filter (where status = 'succeeded'))::int as succeeded,
                (count(*) filter (where status = 'failed'))::int as failed,
                (count(*) filter (where status = 'cancelled'))::int as cancelled,
                coalesce(avg(case when status in ('succeeded', 'failed', 'cancelled') then 1 else progress end), 0)::float8 as progress
           from ${TABLE} where parent_id = ?)
       update ${TABLE} p set
         progress = agg.progress,
         status = case when ${done} then 'succeeded' else p.status end,
         result = case when ${done} then jsonb_build_object('total', agg.total, 'succeeded', agg.succeeded, 'failed', agg.failed, 'cancelled', agg.cancelled) else p.result end,
         finished_at = case when ${done} then now() else p.finished_at end,
         updated_at = now()
       from agg
       where p.id = ? and p.type = '${BATCH_JOB_TYPE}' and p.status = 'running' and (p.progress <> agg.progress or (${done}))
       returning p.*`,
      [parentId, parentId],
    );
    return first(rows as JobRow[]);
  }

  /** Stores the children's counts on a batch parent that was cancelled. */
  async settleCancelledBatch(parentId: string): Promise<JobRecord | null> {
    const { rows } = await this.db.raw(
      `update ${TABLE} p set result = (
         select jsonb_build_object('total', count(*), 'succeeded', count(*) filter (where status = 'succeeded'),
                'failed', count(*) filter (where status = 'failed'), 'cancelled', count(*) filter (where status = 'cancelled'))
           from ${TABLE} where parent_id = ?), updated_at = now()
       where p.id = ? and p.type = '${BATCH_JOB_TYPE}' and p.status = 'cancelled' returning p.*`,
      [parentId, parentId],
    );
    return first(rows as JobRow[]);
  }

  /**
   * Jobs of the given types a transport should hold but maybe lost: queued or retrying ones past
   * their start time by `graceMs`, and running ones whose lease ran out (their worker died).
   */
  async overdue(types: string[], graceMs: number, leaseMs: number, limit: number): Promise<{ id: string; type: string }[]> {
    if (types.length === 0) return [];
    return this.db(TABLE)
      .whereIn("type", types)
      .andWhere((w) =>
        w
          .where((q) => q.whereIn("status", ["queued", "retrying"]).andWhereRaw("run_at < now() - ?::interval", [`${graceMs} milliseconds`]))
          .orWhere((q) =>
            q
              .where({ status: "running" })
              .andWhere((h) => h.whereNull("heartbeat_at").orWhereRaw("heartbeat_at < now() - ?::interval", [`${leaseMs} milliseconds`])),
          ),
      )
      .orderBy("run_at")
      .limit(limit)
      .select("id", "type");
  }

  /** Running batch parents not updated for `graceMs`: their last child's update may have been lost. */
  async staleBatches(graceMs: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db(TABLE)
      .where({ type: BATCH_JOB_TYPE, status: "running" })
      .andWhereRaw("updated_at < now() - ?::interval", [`${graceMs} milliseconds`])
      .orderBy("updated_at")
      .limit(100)
      .select("id");
    return rows.map((r) => r.id);
  }

  async countByStatus(): Promise<{ type: string; status: string; count: number }[]> {
    const rows = await this.db(TABLE).select("type", "status").count<{ type: string; status: string; count: string }[]>("* as count").groupBy("type", "status");
    return rows.map((r) => ({ type: r.type, status: r.status, count: Number(r.count) }));
  }
}
