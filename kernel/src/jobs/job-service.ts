import type { Knex } from "knex";
import type { Logger } from "pino";
import { kernelError } from "../errors.js";
import {
  BATCH_JOB_TYPE,
  type BatchOptions,
  type EnqueueOptions,
  type JobProcessor,
  type JobRecord,
  type JobSchedule,
  type ScheduleOptions,
} from "../sdk/context.js";
import type { JobTypeManifest } from "../sdk/manifest.js";
import { JobEvents, type JobListener } from "./job-events.js";
import { JobRunner, type RunnerTimings } from "./job-runner.js";
import { JobScheduler } from "./job-scheduler.js";
import { isFinal, type JobListFilter, JobStore, type NewJob } from "./job-store.js";
import { type Dispatch, type JobTransport, RunLaterError } from "./transport.js";

interface JobType {
  type: string;
  pluginId: string;
  manifest: JobTypeManifest;
  processor: JobProcessor | null;
}

export type { JobListener };

/** Timings of the job system. Production keeps the defaults; tests shorten them. */
export interface JobServiceOptions extends Partial<RunnerTimings> {
  /** How often a worker process looks for jobs its transport lost (default 30 s; also right after Redis comes back). */
  reconcileIntervalMs?: number;
  /** How long a queued job may wait past its start time before the reconciler checks that the transport holds it (default 10 s). */
  reconcileGraceMs?: number;
  /** How often a worker process fires due cron schedules (default 1 s). */
  scheduleTickMs?: number;
  /** Redis for job updates across processes; absent means this process only. */
  redis?: { url: string; prefix: string };
}

const MAX_BATCH = 10_000;

/**
 * Jobs across every plugin (and the kernel): one processor per declared type, the row as the
 * truth, the transport only carrying ids, one queue per job type so each type runs at most its
 * manifest `concurrency` at once per worker process. Workers run only the queues they were asked for.
 *
 * The kernel owns job types the same way a plugin does, under the plugin id "kernel":
 * `jobs.declare("kernel", { "kernel.ingest": { concurrency: 2 } })`, then
 * `jobs.setProcessor("kernel", "kernel.ingest", fn)` before workers start, and
 * `jobs.enqueue("kernel", "kernel.ingest", payload, { tenantId })`. Workers select them with the
 * queue name "kernel" (or the type). `kernel.batch` is reserved for batch parents, which have no processor.
 */
export class JobService {
  readonly store: JobStore;
  readonly events: JobEvents;
  readonly scheduler: JobScheduler;
  private readonly runner: JobRunner;
  private readonly types = new Map<string, JobType>();
  /** Types this process runs workers for. */
  private working: string[] = [];
  private readonly timings: RunnerTimings & { reconcileIntervalMs: number; reconcileGraceMs: number; scheduleTickMs: number };
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly batchTimers = new Map<string, NodeJS.Timeout>();
  private reconciling: Promise<number> | null = null;
  private firing = false;
  private started = false;
  private stopping = false;
  readonly durations: { observe(labels: Record<string, string>, seconds: number): void }[] = [];

  constructor(
    db: Knex,
    readonly transport: JobTransport,
    private readonly log: Logger,
    options: JobServiceOptions = {},
  ) {
    this.timings = {
      leaseMs: options.leaseMs ?? 30_000,
      progressThrottleMs: options.progressThrottleMs ?? 100,
      backoffMs: options.backoffMs ?? 500,
      reconcileIntervalMs: options.reconcileIntervalMs ?? 30_000,
      reconcileGraceMs: options.reconcileGraceMs ?? 10_000,
      scheduleTickMs: options.scheduleTickMs ?? 1000,
    };
    this.store = new JobStore(db);
    this.scheduler = new JobScheduler(db, this.store);
    this.events = new JobEvents((err) => this.log.warn({ err }, "job update listener threw"), options.redis);
    this.runner = new JobRunner(
      this.store,
      this.events,
      {
        processor: (type) => this.types.get(type)?.processor ?? null,
        childChanged: (parentId) => this.childChanged(parentId),
        observe: (job, status, seconds) => {
          for (const d of this.durations) d.observe({ type: job.type, plugin: job.pluginId, status }, seconds);
        },
      },
      this.timings,
      log,
    );
    // A cancel made anywhere (this process, or another one over Redis) aborts the processor running it here.
    this.events.onUpdate((job) => {
      if (job.status === "cancelled") this.runner.abort(job.id, "cancelled");
    });
  }

  /** Job types a plugin (or the kernel, as "kernel") declares; processors are bound later by `setProcessor`. */
  declare(pluginId: string, jobs: Record<string, JobTypeManifest>) {
    for (const [type, manifest] of Object.entries(jobs)) {
      if (type === BATCH_JOB_TYPE) throw kernelError("KERNEL_CAPABILITY_DENIED", `job type "${BATCH_JOB_TYPE}" is reserved for batch parents`);
      this.types.set(type, { type, pluginId, manifest, processor: null });
    }
  }

  /** Forgets a plugin that was left out after declaring its types. */
  forget(pluginId: string) {
    for (const [type, t] of this.types) if (t.pluginId === pluginId) this.types.delete(type);
  }

  setProcessor(pluginId: string, type: string, processor: JobProcessor) {
    const t = this.types.get(type);
    if (!t || t.pluginId !== pluginId) {
      throw kernelError("KERNEL_CAPABILITY_DENIED", `job type "${type}" is not declared in ${pluginId}'s manifest "jobs"`);
    }
    if (t.processor) throw kernelError("KERNEL_CAPABILITY_DENIED", `job type "${type}" already has a processor: exactly one is allowed`);
    t.processor = processor;
  }

  /** Declared types of a plugin that have no processor. */
  missingProcessors(pluginId: string): string[] {
    return [...this.types.values()].filter((t) => t.pluginId === pluginId && !t.processor).map((t) => t.type);
  }

  /** Every declared job type (one queue each). */
  typeNames(): string[] {
    return [...this.types.keys()];
  }

  /** Every update of every job, local or (with Redis) from other processes. */
  onUpdate(listener: JobListener): () => void {
    return this.events.onUpdate(listener);
  }

  private ownType(pluginId: string, type: string): JobType {
    const t = this.types.get(type);
    if (!t) throw kernelError("KERNEL_JOB_TYPE_UNKNOWN", `no started plugin declares job type "${type}"`);
    if (t.pluginId !== pluginId) {
      throw kernelError("KERNEL_CAPABILITY_DENIED", `${pluginId} cannot enqueue "${type}": it belongs to ${t.pluginId}`);
    }
    return t;
  }

  private newJob(t: JobType, payload: unknown, options: EnqueueOptions): NewJob {
    return {
      type: t.type,
      pluginId: t.pluginId,
      payload,
      tenantId: options.tenantId,
      userId: options.userId ?? null,
      assetId: options.assetId ?? null,
      parentId: options.parentId ?? null,
      idempotencyKey: options.idempotencyKey ?? null,
      maxAttempts: options.maxAttempts ?? t.manifest.attempts ?? 3,
      runAt: new Date(Date.now() + Math.max(0, options.delayMs ?? 0)),
    };
  }

  /** Hands jobs to the transport; when it is down the rows wait for the reconciler. */
  private async dispatch(items: Dispatch[]) {
    if (items.length === 0) return;
    try {
      await this.transport.dispatch(items);
    } catch (err) {
      this.log.warn({ err, jobs: items.length }, "could not hand jobs to the transport; the reconciler will");
    }
  }

  async enqueue(pluginId: string, type: string, payload: unknown, options: EnqueueOptions): Promise<JobRecord> {
    const t = this.ownType(pluginId, type);
    let reopen = false;
    if (options.parentId) {
      const parent = await this.store.get(options.parentId, options.tenantId);
      if (!parent) throw kernelError("KERNEL_JOB_NOT_FOUND", `no job ${options.parentId} in this tenant to be the parent`);
      if (parent.type === BATCH_JOB_TYPE && (parent.status === "cancelled" || parent.status === "failed")) {
        throw kernelError("KERNEL_JOB_STATE", `batch ${parent.id} is ${parent.status}: it takes no new children`);
      }
      reopen = parent.type === BATCH_JOB_TYPE;
    }
    const delayMs = Math.max(0, options.delayMs ?? 0);
    const { record, created } = await this.store.insert(this.newJob(t, payload, options));
    if (created) {
      if (reopen && record.parentId) this.events.publish(await this.store.reopenBatch(record.parentId));
      // Published before dispatch, so "queued" never reaches a watcher after "running".
      this.events.publish(record);
      await this.dispatch([{ queue: type, jobId: record.id, delayMs }]);
      this.childChanged(record.parentId);
    }
    return record;
  }

  /**
   * One parent job (type `kernel.batch`, running until every child has ended) and one child of
   * `type` per payload. See `PluginJobs.enqueueBatch`.
   */
  async enqueueBatch(pluginId: string, type: string, payloads: unknown[], options: BatchOptions): Promise<{ parent: JobRecord; children: JobRecord[] }> {
    const t = this.ownType(pluginId, type);
    if (payloads.length > MAX_BATCH) throw kernelError("KERNEL_VALIDATION", `a batch holds at most ${MAX_BATCH} jobs (got ${payloads.length})`);
    const key = options.idempotencyKey;
    const parent: NewJob = {
      ...this.newJob(t, { type, total: payloads.length }, { ...options, idempotencyKey: key }),
      type: BATCH_JOB_TYPE,
      maxAttempts: 1,
      runAt: new Date(),
    };
    const children = payloads.map((payload, i) => this.newJob(t, payload, { ...options, idempotencyKey: key === undefined ? undefined : `${key}/${i}` }));
    const out = await this.store.insertBatch(parent, children);
    if (out.created) {
      const delayMs = Math.max(0, options.delayMs ?? 0);
      this.events.publish(out.parent);
      for (const c of out.children) this.events.publish(c);
      await this.dispatch(out.children.map((c) => ({ queue: type, jobId: c.id, delayMs })));
    }
    return { parent: out.parent, children: out.children };
  }

  get(jobId: string, tenantId: string): Promise<JobRecord | null> {
    return this.store.get(jobId, tenantId);
  }

  list(tenantId: string, filter: JobListFilter) {
    return this.store.list(tenantId, filter);
  }

  /** Cancels a job that has not ended, and its children that have not; the processor running it (anywhere) sees `signal` abort. */
  async cancel(jobId: string, tenantId: string): Promise<JobRecord | null> {
    let job = await this.store.cancel(jobId, tenantId);
    if (job?.status !== "cancelled") return job;
    this.events.publish(job);
    for (const child of await this.store.cancelChildren(job.id)) this.events.publish(child);
    if (job.type === BATCH_JOB_TYPE) {
      job = (await this.store.settleCancelledBatch(job.id)) ?? job;
      this.events.publish(job);
    } else this.childChanged(job.parentId);
    return job;
  }

  /**
   * Runs a failed or cancelled job again from its first attempt (a batch: its failed and
   * cancelled children). Null when the tenant has no such job; KERNEL_JOB_STATE when it has
   * not ended or succeeded.
   */
  async retry(jobId: string, tenantId: string): Promise<JobRecord | null> {
    const job = await this.store.get(jobId, tenantId);
    if (!job) return null;
    if (job.type === BATCH_JOB_TYPE) {
      if (!isFinal(job.status)) throw kernelError("KERNEL_JOB_STATE", `batch ${job.id} is ${job.status}: only a finished batch can be retried`);
      const children = await this.store.resetChildren(job.id);
      const reopened = await this.store.reopenBatch(job.id);
      this.events.publish(reopened);
      for (const child of children) {
        this.events.publish(child);
        await this.ensure(child);
      }
      this.childChanged(job.id);
      return (await this.store.get(job.id)) ?? reopened;
    }
    if (job.status !== "failed" && job.status !== "cancelled") {
      throw kernelError("KERNEL_JOB_STATE", `job ${job.id} is ${job.status}: only a failed or cancelled job can be retried`);
    }
    const reset = await this.store.reset(job.id, tenantId);
    if (!reset) throw kernelError("KERNEL_JOB_STATE", `job ${job.id} changed state meanwhile; try again`);
    if (reset.parentId) this.events.publish(await this.store.reopenBatch(reset.parentId));
    this.events.publish(reset);
    await this.ensure(reset);
    this.childChanged(reset.parentId);
    return reset;
  }

  private async ensure(job: JobRecord) {
    try {
      await this.transport.ensure({ queue: job.type, jobId: job.id, delayMs: 0 });
    } catch (err) {
      this.log.warn({ err, jobId: job.id }, "could not hand the job to the transport; the reconciler will");
    }
  }

  async schedule(pluginId: string, type: string, cron: string, payload: unknown, options: ScheduleOptions): Promise<JobSchedule> {
    this.ownType(pluginId, type);
    if (!options.key) throw kernelError("KERNEL_VALIDATION", "a schedule needs a key");
    return this.scheduler.upsert({
      pluginId,
      type,
      cron,
      payload,
      tenantId: options.tenantId,
      key: options.key,
      userId: options.userId ?? null,
      timezone: options.timezone ?? null,
      maxAttempts: options.maxAttempts ?? null,
    });
  }

  async unschedule(pluginId: string, type: string, key: string, tenantId: string): Promise<boolean> {
    this.ownType(pluginId, type);
    return this.scheduler.remove(type, key, tenantId);
  }

  /**
   * A child changed: its batch parent is recomputed at most once per throttle window. A child
   * that ended is always followed by a recompute that sees it (the window's refresh runs after
   * the child's row was written), so the parent finishes at most one window after its last child.
   */
  private childChanged(parentId: string | null) {
    if (!parentId || this.batchTimers.has(parentId)) return;
    const timer = setTimeout(() => {
      this.batchTimers.delete(parentId);
      void this.refreshBatch(parentId);
    }, this.timings.progressThrottleMs);
    timer.unref();
    this.batchTimers.set(parentId, timer);
  }

  private async refreshBatch(parentId: string) {
    try {
      this.events.publish(await this.store.refreshBatch(parentId));
    } catch (err) {
      this.log.warn({ err, parentId }, "could not update a batch parent; the reconciler will");
    }
  }

  /** Starts workers for the given queues (plugin ids, or job types); all declared ones when none are named. */
  async startWorkers(queues?: string[]): Promise<void> {
    const selected = [...this.types.values()].filter((t) => !queues || queues.includes(t.pluginId) || queues.includes(t.type));
    this.working = selected.map((t) => t.type);
    this.started = true;
    await this.transport.startWorkers(
      selected.map((t) => ({ name: t.type, concurrency: t.manifest.concurrency ?? 2 })),
      (jobId) => this.runner.run(jobId).catch((err) => this.deliveryFailed(jobId, err)),
    );
    if (this.working.length === 0) return;
    // Jobs left by a process that died, or lost by Redis, go back to their queues.
    void this.reconcile({ all: true });
    this.every(this.timings.reconcileIntervalMs, () => void this.reconcile());
    this.every(this.timings.scheduleTickMs, () => void this.fireSchedules());
    this.transport.onReconnect(() => {
      const t = setTimeout(() => void this.reconcile(), 500);
      t.unref();
    });
  }

  private deliveryFailed(jobId: string, err: unknown): never {
    if (!(err instanceof RunLaterError)) this.log.error({ err, jobId }, "job delivery failed; the reconciler will retry it");
    throw err;
  }

  private every(ms: number, fn: () => void) {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  get workersStarted() {
    return this.started;
  }

  /**
   * Puts back into the transport the jobs it should hold but may have lost (Redis restarted
   * without persistence, a process died holding in-process jobs), and settles batch parents
   * whose last child's update was lost. `all` (at start) checks every unfinished job, not only
   * overdue ones. Returns how many jobs were dispatched again.
   */
  reconcile(options: { all?: boolean } = {}): Promise<number> {
    if (this.reconciling) return this.reconciling;
    this.reconciling = this.reconcilePass(options.all ?? false).finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private async reconcilePass(all: boolean): Promise<number> {
    if (this.stopping || this.working.length === 0) return 0;
    let redispatched = 0;
    try {
      const grace = all ? -10 * 365 * 86_400_000 : this.timings.reconcileGraceMs;
      const rows = await this.store.overdue(this.working, grace, this.timings.leaseMs, 1000);
      for (let i = 0; i < rows.length; i += 50) {
        const added = await Promise.all(
          rows.slice(i, i + 50).map(async (r) => {
            const job = await this.store.get(r.id);
            if (!job || isFinal(job.status)) return false;
            const delayMs = Math.max(0, new Date(job.runAt).getTime() - Date.now());
            return this.transport.ensure({ queue: r.type, jobId: r.id, delayMs });
          }),
        );
        redispatched += added.filter(Boolean).length;
      }
      if (redispatched > 0) this.log.info({ jobs: redispatched }, "dispatched jobs the transport did not hold");
      for (const parent of await this.store.staleBatches(this.timings.reconcileGraceMs)) await this.refreshBatch(parent);
    } catch (err) {
      this.log.warn({ err }, "job reconciliation failed; it runs again later");
    }
    return redispatched;
  }

  /** Enqueues the jobs of due cron schedules. */
  async fireSchedules(): Promise<JobRecord[]> {
    if (this.firing || this.stopping) return [];
    this.firing = true;
    try {
      const jobs = await this.scheduler.fire(this.working, (type) => ({ maxAttempts: this.types.get(type)?.manifest.attempts ?? 3 }));
      for (const j of jobs) this.events.publish(j);
      await this.dispatch(jobs.map((j) => ({ queue: j.type, jobId: j.id, delayMs: 0 })));
      return jobs;
    } catch (err) {
      this.log.warn({ err }, "firing cron schedules failed; next tick tries again");
      return [];
    } finally {
      this.firing = false;
    }
  }

  /**
   * Stops taking jobs and waits for running ones; after `drainMs` their signals are aborted so
   * processors that honour them end, and their jobs are given back to the queue for another worker.
   */
  async stop(drainMs = 30_000): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.batchTimers.values()) clearTimeout(t);
    const timer = setTimeout(() => this.runner.abortAll("shutdown"), drainMs);
    timer.unref();
    try {
      await this.transport.stop();
      await this.reconciling;
    } finally {
      clearTimeout(timer);
      await this.events.close();
    }
  }

  abortAll(_reason: string) {
    this.runner.abortAll("shutdown");
  }
}
