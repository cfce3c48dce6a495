import { type Dispatch, type JobTransport, type QueueSpec, type RunAttempt, RunLaterError } from "./transport.js";

interface Queue {
  concurrency: number;
  waiting: string[];
  active: number;
  delayed: Map<string, NodeJS.Timeout>;
}

/**
 * The transport when no Redis is configured: one in-memory queue per job type, run in this
 * process. What it holds is lost with the process; the job service's reconciler puts the
 * unfinished rows back when a process starts again.
 */
export class InProcessTransport implements JobTransport {
  readonly kind = "in-process" as const;
  private readonly queues = new Map<string, Queue>();
  /** Every job id held: waiting, delayed or active. */
  private readonly held = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private run: RunAttempt | null = null;
  private stopped = false;

  async dispatch(items: Dispatch[]): Promise<void> {
    for (const item of items) {
      if (this.held.has(item.jobId)) continue;
      this.schedule(item.queue, item.jobId, item.delayMs);
    }
  }

  async ensure(item: Dispatch): Promise<boolean> {
    if (this.held.has(item.jobId) || this.stopped) return false;
    this.schedule(item.queue, item.jobId, item.delayMs);
    return true;
  }

  async startWorkers(queues: QueueSpec[], run: RunAttempt): Promise<void> {
    this.run = run;
    for (const spec of queues) this.queue(spec.name).concurrency = spec.concurrency;
    for (const spec of queues) this.pump(spec.name);
  }

  onReconnect(): void {
    // Nothing to reconnect to.
  }

  async counts() {
    const out: Record<string, { waiting: number; active: number; delayed: number }> = {};
    for (const [name, q] of this.queues) out[name] = { waiting: q.waiting.length, active: q.active, delayed: q.delayed.size };
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const q of this.queues.values()) for (const t of q.delayed.values()) clearTimeout(t);
    for (const q of this.queues.values()) q.delayed.clear();
    await Promise.allSettled([...this.running]);
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      // Concurrency 0 until a worker starts for it: jobs wait.
      q = { concurrency: 0, waiting: [], active: 0, delayed: new Map() };
      this.queues.set(name, q);
    }
    return q;
  }

  private schedule(queue: string, jobId: string, delayMs: number) {
    if (this.stopped) return;
    const q = this.queue(queue);
    this.held.add(jobId);
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        q.delayed.delete(jobId);
        q.waiting.push(jobId);
        this.pump(queue);
      }, delayMs);
      timer.unref();
      q.delayed.set(jobId, timer);
      return;
    }
    q.waiting.push(jobId);
    this.pump(queue);
  }

  private pump(name: string) {
    const q = this.queues.get(name);
    if (!q || !this.run || this.stopped) return;
    while (q.waiting.length > 0 && q.active < q.concurrency) {
      const jobId = q.waiting.shift() as string;
      q.active++;
      const attempt = this.attempt(name, jobId).finally(() => {
        this.running.delete(attempt);
        q.active--;
        this.pump(name);
      });
      this.running.add(attempt);
    }
  }

  private async attempt(queue: string, jobId: string) {
    let later: number | null = null;
    try {
      await (this.run as RunAttempt)(jobId, queue);
    } catch (err) {
      if (err instanceof RunLaterError) later = err.delayMs;
    }
    this.held.delete(jobId);
    if (later !== null) this.schedule(queue, jobId, later);
  }
}
