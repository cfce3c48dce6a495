import type { DispatchOptions, JobTransport, QueueSpec, RunAttempt } from "./transport.js";
import { NonRetryableJobError } from "./transport.js";

interface Pending {
  jobId: string;
  attempt: number;
  options: DispatchOptions;
}

/** The transport when no Redis is configured: queues in memory, runs in this process. */
export class InProcessTransport implements JobTransport {
  readonly kind = "in-process" as const;
  private readonly waiting = new Map<string, Pending[]>();
  private readonly active = new Map<string, number>();
  private readonly delayed = new Map<string, Set<NodeJS.Timeout>>();
  private readonly specs = new Map<string, QueueSpec>();
  private readonly running = new Set<Promise<void>>();
  private run: RunAttempt | null = null;
  private stopped = false;

  async dispatch(queue: string, jobId: string, options: DispatchOptions): Promise<void> {
    this.schedule(queue, { jobId, attempt: 1, options }, options.delayMs);
  }

  async startWorkers(queues: QueueSpec[], run: RunAttempt): Promise<void> {
    this.run = run;
    for (const q of queues) this.specs.set(q.name, q);
    for (const q of queues) this.pump(q.name);
  }

  async counts() {
    const out: Record<string, { waiting: number; active: number; delayed: number }> = {};
    const names = new Set([...this.waiting.keys(), ...this.active.keys(), ...this.delayed.keys(), ...this.specs.keys()]);
    for (const name of names) {
      out[name] = { waiting: this.waiting.get(name)?.length ?? 0, active: this.active.get(name) ?? 0, delayed: this.delayed.get(name)?.size ?? 0 };
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timers of this.delayed.values()) for (const t of timers) clearTimeout(t);
    this.delayed.clear();
    await Promise.allSettled([...this.running]);
  }

  private schedule(queue: string, item: Pending, delayMs: number) {
    if (this.stopped) return;
    if (delayMs > 0) {
      const timers = this.delayed.get(queue) ?? new Set();
      this.delayed.set(queue, timers);
      const timer = setTimeout(() => {
        timers.delete(timer);
        this.enqueue(queue, item);
      }, delayMs);
      timer.unref();
      timers.add(timer);
      return;
    }
    this.enqueue(queue, item);
  }

  private enqueue(queue: string, item: Pending) {
    const list = this.waiting.get(queue) ?? [];
    list.push(item);
    this.waiting.set(queue, list);
    this.pump(queue);
  }

  private pump(queue: string) {
    const spec = this.specs.get(queue);
    if (!spec || !this.run || this.stopped) return;
    const list = this.waiting.get(queue) ?? [];
    while (list.length > 0 && (this.active.get(queue) ?? 0) < spec.concurrency) {
      const item = list.shift() as Pending;
      this.active.set(queue, (this.active.get(queue) ?? 0) + 1);
      const attempt = this.attempt(queue, item).finally(() => {
        this.running.delete(attempt);
        this.active.set(queue, (this.active.get(queue) ?? 1) - 1);
        this.pump(queue);
      });
      this.running.add(attempt);
    }
  }

  private async attempt(queue: string, item: Pending) {
    try {
      await (this.run as RunAttempt)(item.jobId, item.attempt);
    } catch (err) {
      if (err instanceof NonRetryableJobError || item.attempt >= item.options.attempts) return;
      const delay = item.options.backoffMs * 2 ** (item.attempt - 1);
      this.schedule(queue, { ...item, attempt: item.attempt + 1 }, delay);
    }
  }
}
