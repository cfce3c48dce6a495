import type { Logger } from "pino";
import { kernelError } from "../errors.js";
import { pluginLogger } from "../logger.js";
import type { EnqueueOptions, JobContext, JobProcessor, JobRecord } from "../sdk/context.js";
import type { JobTypeManifest } from "../sdk/manifest.js";
import type { JobStore } from "./job-store.js";
import { type JobTransport, NonRetryableJobError } from "./transport.js";

interface JobType {
  type: string;
  pluginId: string;
  manifest: JobTypeManifest;
  processor: JobProcessor | null;
}

export type JobListener = (job: JobRecord) => void;

/**
 * Jobs across every plugin: one processor per declared type, the row as the truth, the
 * transport only carrying ids. Workers run only the queues they were asked for.
 */
export class JobService {
  private readonly types = new Map<string, JobType>();
  private readonly running = new Map<string, AbortController>();
  private readonly listeners = new Set<JobListener>();
  private started = false;
  readonly durations: { observe(labels: Record<string, string>, seconds: number): void }[] = [];

  constructor(
    readonly store: JobStore,
    readonly transport: JobTransport,
    private readonly log: Logger,
  ) {}

  /** Job types a plugin declares; processors are bound later by `setProcessor`. */
  declare(pluginId: string, jobs: Record<string, JobTypeManifest>) {
    for (const [type, manifest] of Object.entries(jobs)) this.types.set(type, { type, pluginId, manifest, processor: null });
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

  onUpdate(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(job: JobRecord | null) {
    if (!job) return;
    for (const l of this.listeners) {
      try {
        l(job);
      } catch (err) {
        this.log.warn({ err }, "job listener threw");
      }
    }
  }

  async enqueue(pluginId: string, type: string, payload: unknown, options: EnqueueOptions): Promise<JobRecord> {
    const t = this.types.get(type);
    if (!t) throw kernelError("KERNEL_JOB_TYPE_UNKNOWN", `no started plugin declares job type "${type}"`);
    if (t.pluginId !== pluginId) {
      throw kernelError("KERNEL_CAPABILITY_DENIED", `${pluginId} cannot enqueue "${type}": it belongs to ${t.pluginId}`);
    }
    const maxAttempts = options.maxAttempts ?? t.manifest.attempts ?? 3;
    const delayMs = Math.max(0, options.delayMs ?? 0);
    const { record, created } = await this.store.insert({
      type,
      pluginId,
      payload,
      tenantId: options.tenantId,
      userId: options.userId ?? null,
      parentId: options.parentId ?? null,
      idempotencyKey: options.idempotencyKey ?? null,
      maxAttempts,
      runAt: new Date(Date.now() + delayMs),
    });
    if (created) {
      await this.transport.dispatch(t.pluginId, record.id, { delayMs, attempts: maxAttempts, backoffMs: 500 });
      this.emit(record);
    }
    return record;
  }

  async cancel(jobId: string, tenantId: string): Promise<JobRecord | null> {
    const job = await this.store.cancel(jobId, tenantId);
    if (job?.status === "cancelled") this.running.get(jobId)?.abort(new Error("job cancelled"));
    this.emit(job);
    return job;
  }

  /** Starts workers for the given queues (plugin ids); all declared ones when none are named. */
  async startWorkers(queues?: string[]): Promise<void> {
    const concurrency = new Map<string, number>();
    for (const t of this.types.values()) {
      if (queues && !queues.includes(t.pluginId)) continue;
      concurrency.set(t.pluginId, (concurrency.get(t.pluginId) ?? 0) + (t.manifest.concurrency ?? 2));
    }
    this.started = true;
    await this.transport.startWorkers(
      [...concurrency].map(([name, c]) => ({ name, concurrency: c })),
      (jobId, attempt) => this.runAttempt(jobId, attempt),
    );
  }

  get workersStarted() {
    return this.started;
  }

  /**
   * Stops taking jobs and waits for running ones; after `drainMs` their signals are aborted so
   * processors that honour them end, and their jobs are retried elsewhere.
   */
  async stop(drainMs = 30_000): Promise<void> {
    const timer = setTimeout(() => this.abortAll("worker shutting down"), drainMs);
    timer.unref();
    try {
      await this.transport.stop();
    } finally {
      clearTimeout(timer);
    }
  }

  abortAll(reason: string) {
    for (const c of this.running.values()) c.abort(new Error(reason));
  }

  private async runAttempt(jobId: string, attempt: number): Promise<void> {
    const job = await this.store.markRunning(jobId, attempt);
    if (!job) return; // cancelled or already finished
    const t = this.types.get(job.type);
    if (!t?.processor) {
      this.emit(
        await this.store.finish(jobId, "failed", { error: { code: "KERNEL_JOB_TYPE_UNKNOWN", message: `no processor for "${job.type}" on this worker` } }),
      );
      throw new NonRetryableJobError(`no processor for ${job.type}`);
    }
    this.emit(job);
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const started = process.hrtime.bigint();
    const log = this.log.child({ jobId, jobType: job.type, tenantId: job.tenantId, attempt });
    const ctx: JobContext = {
      id: job.id,
      type: job.type,
      payload: job.payload,
      tenantId: job.tenantId,
      userId: job.userId,
      attempt,
      signal: controller.signal,
      log: pluginLogger(log),
      progress: async (fraction) => {
        const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
        this.emit(await this.store.setProgress(jobId, clamped));
      },
    };
    let status = "succeeded";
    try {
      const result = await t.processor(ctx);
      this.emit(await this.store.finish(jobId, "succeeded", { result: result ?? null }));
    } catch (err) {
      const error = { code: (err as { code?: string }).code ?? "JOB_FAILED", message: err instanceof Error ? err.message : String(err) };
      if (controller.signal.aborted && (await this.store.get(jobId))?.status === "cancelled") {
        status = "cancelled";
        throw new NonRetryableJobError("cancelled");
      }
      const retry = attempt < job.maxAttempts && !(err instanceof NonRetryableJobError);
      status = retry ? "retrying" : "failed";
      log.warn({ err }, retry ? "job attempt failed, will retry" : "job failed for good");
      this.emit(await this.store.finish(jobId, retry ? "retrying" : "failed", { error }));
      throw err;
    } finally {
      this.running.delete(jobId);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      for (const d of this.durations) d.observe({ type: job.type, plugin: job.pluginId, status }, seconds);
    }
  }
}
