/** One queue per plugin; the worker pulls job ids and runs them through the job service. */
export interface QueueSpec {
  name: string;
  /** Jobs of this queue a worker runs at once. */
  concurrency: number;
}

export interface DispatchOptions {
  delayMs: number;
  attempts: number;
  /** First retry delay; doubles on each further attempt. */
  backoffMs: number;
}

/** Runs one attempt; throws to ask for a retry, `NonRetryableJobError` to stop retrying. */
export type RunAttempt = (jobId: string, attempt: number) => Promise<void>;

/** How job ids travel from whoever enqueues to whichever worker runs them. The jobs table stays the truth. */
export interface JobTransport {
  readonly kind: "in-process" | "bullmq";
  dispatch(queue: string, jobId: string, options: DispatchOptions): Promise<void>;
  startWorkers(queues: QueueSpec[], run: RunAttempt): Promise<void>;
  /** Waiting + delayed + active per queue. */
  counts(): Promise<Record<string, { waiting: number; active: number; delayed: number }>>;
  /** Stops taking work and waits for running attempts to end. */
  stop(): Promise<void>;
}

export class NonRetryableJobError extends Error {}
