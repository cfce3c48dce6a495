import { type JobsOptions, Queue, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { type Dispatch, type JobTransport, type QueueSpec, type RunAttempt, RunLaterError } from "./transport.js";

/** How fast BullMQ notices a dead worker. Production keeps BullMQ's defaults; tests shorten them. */
export interface BullMqTimings {
  /** How long a worker's lock on an active job lasts without renewal (BullMQ default 30 s). */
  lockDurationMs?: number;
  /** How often workers look for active jobs whose lock expired (BullMQ default 30 s). */
  stalledIntervalMs?: number;
  /** Stalls after which BullMQ gives a job up (default 1); the job service's reconciler then takes over. */
  maxStalledCount?: number;
}

/** BullMQ's own retry limit: far out of reach, since the job service decides about retries from the row. */
const UNLIMITED_DELIVERIES = 1_000_000;

/** The transport when REDIS_URL is set: one BullMQ queue per job type, so any worker process can take a job. */
export class BullMqTransport implements JobTransport {
  readonly kind = "bullmq" as const;
  /** For queues: fails fast while Redis is down, so enqueue never hangs (the reconciler dispatches later). */
  private readonly connection: Redis;
  /** For workers: BullMQ workers block on Redis, so ioredis must never give up on a command. */
  private readonly workerConnection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly reconnectListeners: (() => void)[] = [];

  constructor(
    redisUrl: string,
    private readonly prefix = "crealia",
    private readonly timings: BullMqTimings = {},
  ) {
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
    this.workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    // Errors surface on the calls that fail; an unhandled 'error' event would crash the process.
    this.connection.on("error", () => {});
    this.workerConnection.on("error", () => {});
    let lost = false;
    this.connection.on("close", () => {
      lost = true;
    });
    this.connection.on("ready", () => {
      if (!lost) return;
      lost = false;
      for (const l of this.reconnectListeners) l();
    });
  }

  /** The BullMQ queue of a job type (the admin dashboard shows these). */
  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      q.on("error", () => {});
      this.queues.set(name, q);
    }
    return q;
  }

  private options(item: Dispatch): JobsOptions {
    return {
      jobId: item.jobId,
      delay: item.delayMs > 0 ? item.delayMs : undefined,
      attempts: UNLIMITED_DELIVERIES,
      backoff: { type: "crealia" },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    };
  }

  async dispatch(items: Dispatch[]): Promise<void> {
    const byQueue = new Map<string, Dispatch[]>();
    for (const item of items) byQueue.set(item.queue, [...(byQueue.get(item.queue) ?? []), item]);
    for (const [name, list] of byQueue) {
      const q = this.queue(name);
      if (list.length === 1) await q.add("run", { jobId: list[0]?.jobId }, this.options(list[0] as Dispatch));
      else await q.addBulk(list.map((item) => ({ name: "run", data: { jobId: item.jobId }, opts: this.options(item) })));
    }
  }

  async ensure(item: Dispatch): Promise<boolean> {
    const q = this.queue(item.queue);
    const state = await q.getJobState(item.jobId);
    if (state === "completed" || state === "failed") await q.remove(item.jobId);
    else if (state !== "unknown") return false;
    await q.add("run", { jobId: item.jobId }, this.options(item));
    return true;
  }

  async startWorkers(queues: QueueSpec[], run: RunAttempt): Promise<void> {
    for (const spec of queues) {
      this.queue(spec.name); // so counts() covers every queue this process works on
      const worker = new Worker(
        spec.name,
        async (job) => {
          try {
            await run(job.data.jobId as string, spec.name);
          } catch (err) {
            if (err instanceof RunLaterError) throw err;
            throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
          }
        },
        {
          connection: this.workerConnection,
          prefix: this.prefix,
          concurrency: spec.concurrency,
          // Only what was set: BullMQ takes an explicit undefined over its own default.
          ...(this.timings.lockDurationMs === undefined ? {} : { lockDuration: this.timings.lockDurationMs }),
          ...(this.timings.stalledIntervalMs === undefined ? {} : { stalledInterval: this.timings.stalledIntervalMs }),
          ...(this.timings.maxStalledCount === undefined ? {} : { maxStalledCount: this.timings.maxStalledCount }),
          settings: { backoffStrategy: (_attempts, _type, err) => (err instanceof RunLaterError ? err.delayMs : 0) },
        },
      );
      // What happened to a job is recorded on its row; keep BullMQ's own error events from crashing the process.
      worker.on("error", () => {});
      await worker.waitUntilReady();
      this.workers.push(worker);
    }
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async counts() {
    const out: Record<string, { waiting: number; active: number; delayed: number }> = {};
    for (const [name, q] of this.queues) {
      const c = await q.getJobCounts("waiting", "active", "delayed", "prioritized");
      out[name] = { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 };
    }
    return out;
  }

  async stop(): Promise<void> {
    // Worker.close() waits for the jobs it is running to finish.
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.workerConnection.disconnect();
    this.connection.disconnect();
  }
}
