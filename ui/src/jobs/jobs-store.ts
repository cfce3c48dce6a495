import { createSignal } from "solid-js";
import type { JobRecord } from "../api/types.js";
import { api } from "../app/services.js";
import { upsertJob } from "./job-text.js";

/**
 * The tenant's jobs, live: one list read at start, then every update from the kernel's
 * Server-Sent Events stream (`GET /api/jobs/events`). EventSource reconnects on its own; on
 * each (re)connect the list is read again so nothing missed while away stays stale.
 */
const [jobs, setJobs] = createSignal<JobRecord[]>([]);
const [connection, setConnection] = createSignal<"connecting" | "live" | "offline">("connecting");
const [loadError, setLoadError] = createSignal<string | null>(null);

export { connection, jobs, loadError };

const watchers = new Map<string, Set<(job: JobRecord) => void>>();
let source: EventSource | null = null;

function apply(job: JobRecord) {
  setJobs((list) => upsertJob(list, job));
  for (const fn of watchers.get(job.id) ?? []) fn(job);
}

export async function reloadJobs() {
  try {
    const page = await api.listJobs({ limit: 50 });
    setJobs((list) => page.jobs.reduce((acc, j) => upsertJob(acc, j), list));
    setLoadError(null);
  } catch (err) {
    setLoadError((err as Error).message);
  }
}

export function connectJobs() {
  if (source) return;
  source = new EventSource(api.url("/api/jobs/events"), { withCredentials: true });
  source.addEventListener("open", () => {
    setConnection("live");
    void reloadJobs();
  });
  source.addEventListener("error", () => setConnection(source?.readyState === EventSource.CLOSED ? "offline" : "connecting"));
  source.addEventListener("job", (e) => {
    try {
      apply(JSON.parse((e as MessageEvent<string>).data) as JobRecord);
    } catch {
      // a malformed event is skipped; the next list read corrects the state
    }
  });
}

export function disconnectJobs() {
  source?.close();
  source = null;
}

/** Calls `fn` with the job now (if known, else after reading it) and on every update. */
export function watchJob(jobId: string, fn: (job: JobRecord) => void): () => void {
  let set = watchers.get(jobId);
  if (!set) watchers.set(jobId, (set = new Set()));
  set.add(fn);
  const known = jobs().find((j) => j.id === jobId);
  if (known) fn(known);
  else
    void api.getJob(jobId).then(
      (job) => apply(job),
      () => {},
    );
  return () => {
    const s = watchers.get(jobId);
    s?.delete(fn);
    if (s && !s.size) watchers.delete(jobId);
  };
}

export async function cancelJob(id: string) {
  apply(await api.cancelJob(id));
}

export async function retryJob(id: string) {
  apply(await api.retryJob(id));
}
