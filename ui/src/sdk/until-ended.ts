import type { JobRecord, PanelJobs } from "./types.js";

/**
 * `sdk.jobs.untilEnded`, built on `watch`: resolves with the job's record once it has
 * succeeded, failed or been cancelled (it never rejects: the panel reads `status` and
 * `error`), and calls `onProgress` with every update on the way, the last one included.
 *
 * Written once for both kinds of panel: the studio's SDK calls it with its own `watch`, and the
 * sandboxed frame gets this very function inlined with `Function#toString` beside the frame
 * runtime, where it wraps the frame's `watch`. So it must stay self-contained: no imports
 * used at run time, nothing from outside its body.
 */
export function untilJobEnded(watch: PanelJobs["watch"], jobId: string, onProgress?: (progress: number, job: JobRecord) => void): Promise<JobRecord> {
  return new Promise((resolve) => {
    let ended = false;
    let off: (() => void) | null = null;
    off = watch(jobId, (job) => {
      if (ended) return;
      onProgress?.(job.progress, job);
      if (job.status !== "succeeded" && job.status !== "failed" && job.status !== "cancelled") return;
      ended = true;
      resolve(job);
      // `watch` may report a known job before it has returned its unsubscribe function.
      if (off) off();
      else queueMicrotask(() => off?.());
    });
  });
}
