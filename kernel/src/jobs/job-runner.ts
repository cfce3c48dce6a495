import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Logger } from "pino";
import { pluginLogger } from "../logger.js";
import type { JobContext, JobProcessor, JobRecord } from "../sdk/context.js";
import type { JobEvents } from "./job-events.js";
import { isFinal, type JobStore } from "./job-store.js";
import { RunLaterError } from "./transport.js";

export interface RunnerTimings {
  /** How long a claimed job stays leased to its worker without a heartbeat (renewed every third of it). */
  leaseMs: number;
  /** Least time between two progress writes of one job. */
  progressThrottleMs: number;
  /** First retry delay; doubles with each further attempt. */
  backoffMs: number;
}

type StopReason = "cancelled" | "shutdown" | "lost";

interface Running {
  controller: AbortController;
  reason: StopReason | null;
}

export interface RunnerHooks {
  processor(type: string): JobProcessor | null;
  /** A child's progress or status changed: its batch parent is recomputed. */
  childChanged(parentId: string | null): void;
  observe(job: JobRecord, status: string, seconds: number): void;
}

/**
 * Runs deliveries of jobs in this process. Each attempt first claims the row (status running,
 * this worker's id, a lease it renews by heartbeat): a job is never run by two live workers at
 * once, and a job whose worker died is taken over once its lease runs out.
 */
export class JobRunner {
  readonly workerId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly store: JobStore,
    private readonly events: JobEvents,
    private readonly hooks: RunnerHooks,
    private readonly timings: RunnerTimings,
    private readonly log: Logger,
  ) {}

  /** Aborts the processor of a job running here, if any. */
  abort(jobId: string, reason: StopReason) {
    const r = this.running.get(jobId);
    if (!r || r.controller.signal.aborted) return;
    r.reason = reason;
    r.controller.abort(new Error(reason === "cancelled" ? "job cancelled" : reason === "shutdown" ? "worker shutting down" : "job lease lost"));
  }

  abortAll(reason: StopReason) {
    for (const id of this.running.keys()) this.abort(id, reason);
  }

  async run(jobId: string): Promise<void> {
    const job = await this.store.claim(jobId, this.workerId, this.timings.leaseMs);
    if (!job) return this.notClaimed(jobId);
    this.events.publish(job);
    this.hooks.childChanged(job.parentId);
    if (job.attempts > job.maxAttempts) {
      // The attempts were used up by workers that died mid-job: a job that keeps killing its worker ends here.
      const error = { code: "JOB_WORKER_LOST", message: `the worker running attempt ${job.attempts - 1} stopped, and no attempts are left` };
      return this.settle(await this.store.finish(jobId, this.workerId, "failed", { error }));
    }
    const processor = this.hooks.processor(job.type);
    if (!processor) {
      const error = { code: "KERNEL_JOB_TYPE_UNKNOWN", message: `no processor for "${job.type}" on this worker` };
      return this.settle(await this.store.finish(jobId, this.workerId, "failed", { error }));
    }
    await this.attempt(job, processor);
  }

  /** The row could not be claimed: finished or cancelled (done), or leased by a live worker (look again when the lease ends). */
  private async notClaimed(jobId: string): Promise<void> {
    const row = await this.store.get(jobId);
    if (!row || isFinal(row.status)) return;
    if (row.status === "running") {
      const ends = (await this.store.leaseEnds(jobId, this.timings.leaseMs)) ?? 0;
      throw new RunLaterError(Math.max(100, ends - Date.now() + 50), "leased by another worker");
    }
    throw new RunLaterError(100, "claim raced with another worker");
  }

  private settle(job: JobRecord | null) {
    if (!job) return;
    this.events.publish(job);
    this.hooks.childChanged(job.parentId);
  }

  private async attempt(job: JobRecord, processor: JobProcessor): Promise<void> {
    const { id } = job;
    const running: Running = { controller: new AbortController(), reason: null };
    this.running.set(id, running);
    const log = this.log.child({ jobId: id, jobType: job.type, tenantId: job.tenantId, attempt: job.attempts });
    const started = process.hrtime.bigint();

    // The row says whether the job is still ours: a failed heartbeat means cancelled, or taken over.
    const checkStillOurs = async () => {
      if (await this.store.heartbeat(id, this.workerId)) return;
      const now = await this.store.get(id);
      this.abort(id, now?.status === "cancelled" ? "cancelled" : "lost");
    };
    const heartbeat = setInterval(() => checkStillOurs().catch((err) => log.debug({ err }, "job heartbeat failed")), Math.max(50, this.timings.leaseMs / 3));
    heartbeat.unref();

    // Progress: written at once when the last write is old enough, else once the throttle
    // window ends, with the latest value then. Writes run one after another.
    let latest = 0;
    let lastWrite = 0;
    let timer: NodeJS.Timeout | null = null;
    let chain: Promise<void> = Promise.resolve();
    const write = async () => {
      const rec = await this.store.setProgress(id, this.workerId, latest);
      if (rec) {
        this.events.publish(rec);
        this.hooks.childChanged(rec.parentId);
      } else await checkStillOurs();
    };
    const flush = () => {
      timer = null;
      lastWrite = Date.now();
      chain = chain.then(write).catch((err) => log.debug({ err }, "progress write failed"));
      return chain;
    };

    const ctx: JobContext = {
      id,
      type: job.type,
      payload: job.payload,
      tenantId: job.tenantId,
      userId: job.userId,
      assetId: job.assetId,
      parentId: job.parentId,
      attempt: job.attempts,
      signal: running.controller.signal,
      log: pluginLogger(log),
      progress: async (fraction) => {
        latest = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
        if (timer) return;
        const wait = lastWrite + this.timings.progressThrottleMs - Date.now();
        if (wait <= 0) return flush();
        timer = setTimeout(flush, wait);
        timer.unref();
      },
    };

    let outcome = "succeeded";
    try {
      let result: unknown;
      let failure: unknown = null;
      try {
        result = await processor(ctx);
      } catch (err) {
        failure = err;
      }
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      await chain;
      if (failure === null) {
        const rec = await this.store.finish(id, this.workerId, "succeeded", { result: result ?? null });
        if (!rec) return this.afterLostAttempt(id);
        this.settle(rec);
        return;
      }
      outcome = await this.failed(job, failure, running, log);
    } finally {
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      this.running.delete(id);
      this.hooks.observe(job, outcome, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** After a processor threw: give the job back (shutdown), leave it (cancelled, taken over), retry it or dead-letter it. */
  private async failed(job: JobRecord, err: unknown, running: Running, log: Logger): Promise<string> {
    const { id } = job;
    if (running.reason === "shutdown") {
      this.settle(await this.store.release(id, this.workerId));
      throw new RunLaterError(0, "worker shutting down");
    }
    if (running.reason === "cancelled" || running.reason === "lost") {
      await this.afterLostAttempt(id);
      return running.reason;
    }
    const error = {
      code: typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "JOB_FAILED",
      message: err instanceof Error ? err.message : String(err),
    };
    const retryable = (err as { retryable?: unknown })?.retryable !== false;
    if (retryable && job.attempts < job.maxAttempts) {
      const delay = this.timings.backoffMs * 2 ** (job.attempts - 1);
      log.warn({ err, retryInMs: delay }, "job attempt failed, will retry");
      const rec = await this.store.finish(id, this.workerId, "retrying", { error, retryInMs: delay });
      if (!rec) {
        await this.afterLostAttempt(id);
        return "cancelled";
      }
      this.settle(rec);
      throw new RunLaterError(delay, "retry");
    }
    log.warn({ err }, "job failed for good");
    const rec = await this.store.finish(id, this.workerId, "failed", { error });
    if (!rec) {
      await this.afterLostAttempt(id);
      return "cancelled";
    }
    this.settle(rec);
    return "failed";
  }

  /**
   * The attempt ended without the job being this worker's any more (cancelled, taken over). If it
   * was retried meanwhile, this delivery is the one that must run it: the transport could not
   * add another while this one was active.
   */
  private async afterLostAttempt(id: string): Promise<void> {
    const now = await this.store.get(id);
    if (now?.status === "queued") throw new RunLaterError(0, "retried while its last attempt was stopping");
  }
}
