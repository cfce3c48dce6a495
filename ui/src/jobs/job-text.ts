import type { JobRecord, JobStatus } from "../api/types.js";

/** Jobs a person can read about: what it is doing, in words. */
const TITLES: Record<string, string> = {
  "kernel.ingest": "Preparing upload (thumbnails, metadata)",
  "kernel.batch": "Batch",
};

export function jobTitle(job: Pick<JobRecord, "type" | "pluginId">): string {
  const known = TITLES[job.type];
  if (known) return known;
  const name = job.type.startsWith(`${job.pluginId}.`) ? job.type.slice(job.pluginId.length + 1) : job.type;
  const words = name.replace(/[-_.]+/g, " ").trim();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} (${job.pluginId})`;
}

export const STATUS_LABEL: Record<JobStatus, string> = {
  queued: "Waiting",
  running: "Running",
  retrying: "Retrying",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

export const isActive = (status: JobStatus) => status === "queued" || status === "running" || status === "retrying";
export const canCancel = (job: Pick<JobRecord, "status">) => isActive(job.status);
export const canRetry = (job: Pick<JobRecord, "status">) => job.status === "failed" || job.status === "cancelled";

const ERROR_HELP: Record<string, string> = {
  JOB_WORKER_LOST: "The worker running this job stopped (restarted or crashed) too many times. Retry it; if it fails again, the server may be short of memory.",
  KERNEL_JOB_TYPE_UNKNOWN: "No started plugin can run this kind of job: the plugin that made it may be disabled or failed to start. Check Settings → Plugins.",
  KERNEL_MEDIA_CORRUPT: "The file is damaged or incomplete, so it could not be read. Upload it again from its source.",
  KERNEL_MEDIA_TOO_LARGE: "The image has more pixels than the server allows.",
  KERNEL_UNSUPPORTED_MEDIA: "This file type is not supported.",
  KERNEL_MODEL_NOT_INSTALLED: "An AI model this job needs is not installed on the server. An admin can install it with `crealia models fetch`.",
  KERNEL_ASSET_NOT_FOUND: "The item this job worked on was deleted.",
  JOB_CANCELLED: "The job was cancelled.",
};

/** One or two sentences on why a job failed and what to do, for the jobs tray. */
export function explainJobError(job: Pick<JobRecord, "status" | "error" | "attempts" | "maxAttempts">): string | null {
  if (job.status === "cancelled") return "Cancelled. Retry runs it again from the start.";
  if (job.status !== "failed" && job.status !== "retrying") return null;
  const code = job.error?.code ?? "JOB_FAILED";
  const help = ERROR_HELP[code];
  const detail = job.error?.message?.trim();
  const tries = job.attempts > 1 ? ` after ${job.attempts} attempts` : "";
  if (job.status === "retrying") return `Attempt ${job.attempts} of ${job.maxAttempts} failed${detail ? ` (${detail})` : ""}; trying again shortly.`;
  if (help) return `${help}${detail && !help.includes(detail) ? ` Details: ${detail}` : ""}`;
  return `It stopped with an error${tries}${detail ? `: ${detail}` : "."}`;
}

/** Merges one update into the list, newest first; an update older than what is held is ignored (events can arrive out of order). */
export function upsertJob(jobs: readonly JobRecord[], job: JobRecord, limit = 200): JobRecord[] {
  const i = jobs.findIndex((j) => j.id === job.id);
  if (i >= 0) {
    const held = jobs[i] as JobRecord;
    if (Date.parse(job.updatedAt) < Date.parse(held.updatedAt)) return jobs as JobRecord[];
    const next = jobs.slice();
    next[i] = job;
    return next;
  }
  const next = [job, ...jobs];
  next.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return next.slice(0, limit);
}

/** "3 running", "1 failed" — the tray button's summary, or "" when nothing needs attention. */
export function traySummary(jobs: readonly JobRecord[]): { active: number; failed: number; text: string } {
  const active = jobs.filter((j) => isActive(j.status)).length;
  const failed = jobs.filter((j) => j.status === "failed" && !j.parentId).length;
  const parts = [active ? `${active} running` : "", failed ? `${failed} failed` : ""].filter(Boolean);
  return { active, failed, text: parts.join(", ") };
}
