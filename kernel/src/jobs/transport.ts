/**
 * One queue per job type; a worker pulls job ids from it and runs them through the job service.
 * The transport only carries ids: the `kernel.jobs` row stays the truth about every job.
 */
export interface QueueSpec {
  /** The job type. */
  name: string;
  /** Jobs of this type one worker process runs at once (the manifest's `concurrency`). */
  concurrency: number;
}

export interface Dispatch {
  queue: string;
  jobId: string;
  /** Run no sooner than this many ms from now. */
  delayMs: number;
}

/**
 * Runs one delivery of a job. Resolving means the transport is done with this delivery (the job
 * succeeded, went to the dead-letter state, was cancelled or was already finished). Throwing
 * `RunLaterError` asks for another delivery after its delay (a retry, or a job whose lease
 * another worker still holds). Anything else thrown is logged by the service and dropped.
 */
export type RunAttempt = (jobId: string, queue: string) => Promise<void>;

/** Carries job ids from whoever enqueues to whichever worker runs them. */
export interface JobTransport {
  readonly kind: "in-process" | "bullmq";
  /** Hands jobs to their queues; a job id already held by the transport is left as it is. */
  dispatch(items: Dispatch[]): Promise<void>;
  /**
   * Makes sure the transport holds the job: added again when it lost it (Redis restarted
   * without persistence) or only holds a finished delivery of it (a retried job). True when it added.
   */
  ensure(item: Dispatch): Promise<boolean>;
  startWorkers(queues: QueueSpec[], run: RunAttempt): Promise<void>;
  /** Called after the transport's connection came back from an outage. */
  onReconnect(listener: () => void): void;
  /** Waiting + delayed + active per queue. */
  counts(): Promise<Record<string, { waiting: number; active: number; delayed: number }>>;
  /** Stops taking work and waits for running attempts to end. */
  stop(): Promise<void>;
}

/** Thrown by a run to have the job delivered again after `delayMs`. */
export class RunLaterError extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
  }
}
