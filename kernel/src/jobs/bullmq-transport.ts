import { Queue, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { DispatchOptions, JobTransport, QueueSpec, RunAttempt } from "./transport.js";
import { NonRetryableJobError } from "./transport.js";

/** The transport when REDIS_URL is set: BullMQ queues, so any worker process can take a job. */
export class BullMqTransport implements JobTransport {
  readonly kind = "bullmq" as const;
  private readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly workerConnections: Redis[] = [];

  constructor(
    redisUrl: string,
    private readonly prefix = "crealia",
  ) {
    // BullMQ workers block on Redis; ioredis must not give up on a blocked command.
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      this.queues.set(name, q);
    }
    return q;
  }

  async dispatch(queue: string, jobId: string, options: DispatchOptions): Promise<void> {
    await this.queue(queue).add(
      "run",
      { jobId },
      {
        jobId,
        delay: options.delayMs,
        attempts: options.attempts,
        backoff: { type: "exponential", delay: options.backoffMs },
        removeOnComplete: 1000,
        removeOnFail: 5000,
      },
    );
  }

  async startWorkers(queues: QueueSpec[], run: RunAttempt): Promise<void> {
    for (const spec of queues) {
      const connection = this.connection.duplicate();
      this.workerConnections.push(connection);
      const worker = new Worker(
        spec.name,
        async (job) => {
          try {
            await run(job.data.jobId as string, job.attemptsMade + 1);
          } catch (err) {
            if (err instanceof NonRetryableJobError) throw new UnrecoverableError(err.message);
            throw err;
          }
        },
        { connection, prefix: this.prefix, concurrency: spec.concurrency },
      );
      // Failures are recorded on the job row; keep BullMQ's own error events from crashing the process.
      worker.on("error", () => {});
      await worker.waitUntilReady();
      this.workers.push(worker);
    }
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
    for (const c of this.workerConnections) c.disconnect();
    this.connection.disconnect();
  }
}
