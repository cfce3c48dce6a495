import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { Redis } from "ioredis";
import type { JobRecord } from "../sdk/context.js";

export type JobListener = (job: JobRecord) => void;

/**
 * Where job updates meet their watchers (SSE streams, GraphQL subscriptions, cancellation of a
 * running processor). Updates are delivered in this process at once and, when Redis is
 * configured, published on a channel so that updates made by worker processes reach API hosts
 * (and a cancel made on an API host reaches the worker running the job). Delivery is
 * best-effort: the job row stays the truth, so a watcher that must not miss the end reads the
 * row once after subscribing.
 */
export class JobEvents {
  private readonly emitter = new EventEmitter();
  private readonly origin = randomUUID();
  private readonly channel: string;
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;
  private subscribed: Promise<void> = Promise.resolve();

  constructor(
    private readonly onListenerError: (err: unknown) => void,
    redis?: { url: string; prefix: string },
  ) {
    this.emitter.setMaxListeners(0);
    this.channel = `${redis?.prefix ?? "crealia"}:jobs:updates`;
    if (redis) {
      // Fails fast while Redis is down: an update that cannot be sent is dropped, never queued up.
      this.publisher = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
      this.subscriber = new Redis(redis.url, { maxRetriesPerRequest: null, lazyConnect: false });
      this.publisher.on("error", () => {});
      this.subscriber.on("error", () => {});
      this.subscriber.on("message", (_channel: string, raw: string) => {
        try {
          const msg = JSON.parse(raw) as { origin: string; job: JobRecord };
          if (msg.origin !== this.origin) this.deliver(msg.job);
        } catch (err) {
          this.onListenerError(err);
        }
      });
      // ioredis subscribes again by itself after a reconnect.
      this.subscribed = this.subscriber.subscribe(this.channel).then(
        () => {},
        (err) => this.onListenerError(err),
      );
    }
  }

  /** Resolves once the Redis subscription is live (at once without Redis), or after `timeoutMs` while Redis is away. */
  async ready(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.subscribed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  publish(job: JobRecord | null): void {
    if (!job) return;
    this.deliver(job);
    if (this.publisher?.status === "ready") {
      this.publisher.publish(this.channel, JSON.stringify({ origin: this.origin, job })).catch(() => {});
    }
  }

  private deliver(job: JobRecord) {
    this.emit("update", job);
    this.emit(`job:${job.id}`, job);
    this.emit(`tenant:${job.tenantId}`, job);
  }

  private emit(event: string, job: JobRecord) {
    for (const listener of this.emitter.listeners(event) as JobListener[]) {
      try {
        listener(job);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Every update, any tenant. */
  onUpdate(listener: JobListener): () => void {
    return this.on("update", listener);
  }

  onJob(jobId: string, listener: JobListener): () => void {
    return this.on(`job:${jobId}`, listener);
  }

  onTenant(tenantId: string, listener: JobListener): () => void {
    return this.on(`tenant:${tenantId}`, listener);
  }

  private on(event: string, listener: JobListener): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
  }
}
