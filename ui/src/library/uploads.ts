import { createSignal } from "solid-js";
import { createStore, produce } from "solid-js/store";
import { ApiError, CLIENT_CODES, messageOf } from "../api/errors.js";
import type { Asset } from "../api/types.js";
import { api } from "../app/services.js";
import { explainJobError } from "../jobs/job-text.js";
import { watchJob } from "../jobs/jobs-store.js";
import { forgetResumable, type KeyValueStore, type ResumableFile, UPLOAD_ROUTES, type UploadLimits, uploadResumable } from "./resumable.js";

export type UploadStatus = "queued" | "uploading" | "processing" | "done" | "failed" | "cancelled";

export interface UploadItem {
  key: number;
  name: string;
  size: number;
  loaded: number;
  status: UploadStatus;
  error?: string;
  assetId?: string;
  jobId?: string;
  /** Big files go in resumable parts: how many arrived, and how many the kernel had from an earlier try. */
  parts?: { done: number; count: number; resumed: number };
}

/** At most this many files go up at once; the rest wait their turn. */
const CONCURRENCY = 3;

let limits: Promise<UploadLimits | null> | null = null;

/** The kernel's upload limits, asked once; a kernel without the route gets plain uploads only. */
function uploadLimits(): Promise<UploadLimits | null> {
  limits ??= api.get<UploadLimits>(UPLOAD_ROUTES.limits).catch(() => {
    limits = null;
    return null;
  });
  return limits;
}

function browserStore(): KeyValueStore | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: uploads still work, they just can't resume after a reload
  }
}

function resumableDeps() {
  return {
    api,
    store: browserStore(),
    put: (request: { url: string; method: string; headers: Record<string, string> }, body: Blob, onProgress: (loaded: number) => void) =>
      api.putBlob(request, body, (p) => onProgress(p.loaded)),
  };
}

const [uploads, setUploads] = createStore<UploadItem[]>([]);

export { uploads };

/** Assets created by uploads, newest last: the library adds them at the top without a reload. */
const [created, setCreated] = createSignal<{ asset: Asset; at: number } | null>(null);
/** An asset whose processing ended (ready or failed): the library refreshes that one tile. */
const [processed, setProcessed] = createSignal<{ assetId: string; at: number } | null>(null);

export { created, processed };

const files = new Map<number, { file: File; projectId?: string; abort?: () => void }>();
let nextKey = 1;

function update(key: number, fn: (u: UploadItem) => void) {
  setUploads(
    (u) => u.key === key,
    produce((u) => fn(u)),
  );
}

export function enqueueUploads(list: FileList | File[], options: { projectId?: string } = {}) {
  const added: UploadItem[] = [];
  for (const file of Array.from(list)) {
    const key = nextKey++;
    files.set(key, { file, projectId: options.projectId });
    added.push({ key, name: file.name, size: file.size, loaded: 0, status: "queued" });
  }
  setUploads((all) => [...all, ...added]);
  pump();
  return added.length;
}

function pump() {
  const running = uploads.filter((u) => u.status === "uploading").length;
  const waiting = uploads.filter((u) => u.status === "queued").slice(0, Math.max(0, CONCURRENCY - running));
  for (const u of waiting) start(u.key);
}

function start(key: number) {
  const entry = files.get(key);
  if (!entry) return;
  update(key, (u) => {
    u.status = "uploading";
    u.loaded = 0;
    u.error = undefined;
  });
  let abort: (() => void) | null = null;
  let cancelled = false;
  entry.abort = () => {
    cancelled = true;
    abort?.();
  };
  const promise = uploadLimits().then((limits) => {
    if (cancelled) throw new ApiError(0, CLIENT_CODES.aborted, "");
    const progress = (loaded: number) => update(key, (u) => void (u.loaded = Math.min(loaded, u.size)));
    const handle =
      limits && entry.file.size > limits.resumableAbove
        ? uploadResumable(
            entry.file as ResumableFile,
            {
              name: entry.file.name,
              projectId: entry.projectId,
              onProgress: (p) => {
                progress(p.loaded);
                update(key, (u) => void (u.parts = { done: p.partsDone, count: p.partCount, resumed: p.resumedParts }));
              },
            },
            resumableDeps(),
          )
        : api.upload(entry.file, { name: entry.file.name, projectId: entry.projectId, onProgress: (p) => progress(p.loaded) });
    abort = handle.abort;
    return handle.promise;
  });
  promise.then(
    ({ asset, jobId }) => {
      update(key, (u) => {
        u.status = "processing";
        u.loaded = u.size;
        u.assetId = asset.id;
        u.jobId = jobId;
      });
      setCreated({ asset, at: Date.now() });
      const off = watchJob(jobId, (job) => {
        if (job.status === "succeeded") {
          update(key, (u) => void (u.status = "done"));
          files.delete(key);
          setProcessed({ assetId: asset.id, at: Date.now() });
          queueMicrotask(off);
        } else if (job.status === "failed" || job.status === "cancelled") {
          update(key, (u) => {
            u.status = "failed";
            u.error = explainJobError(job) ?? "Processing failed.";
          });
          setProcessed({ assetId: asset.id, at: Date.now() });
          queueMicrotask(off);
        }
      });
      pump();
    },
    (err) => {
      const cancelled = (err as { code?: string }).code === "CLIENT_ABORTED";
      update(key, (u) => {
        u.status = cancelled ? "cancelled" : "failed";
        u.error = cancelled ? undefined : messageOf(err);
      });
      pump();
    },
  );
}

export function cancelUpload(key: number) {
  const u = uploads.find((x) => x.key === key);
  const entry = files.get(key);
  if (!u) return;
  if (u.status === "queued") update(key, (x) => void (x.status = "cancelled"));
  else entry?.abort?.();
  // A cancelled big upload is given up on the server too: its parts are not kept for a resume.
  if (entry && u.parts) void forgetResumable(entry.file as ResumableFile, resumableDeps());
}

export function retryUpload(key: number) {
  if (!files.has(key)) return;
  update(key, (u) => {
    u.status = "queued";
    u.error = undefined;
  });
  pump();
}

/** Removes finished rows (done, cancelled) from the list. */
export function clearFinishedUploads() {
  setUploads((all) => all.filter((u) => u.status !== "done" && u.status !== "cancelled"));
  for (const key of [...files.keys()]) if (!uploads.some((u) => u.key === key)) files.delete(key);
}

/** "3 of 5 uploaded", for the panel's heading and the live region. */
export function uploadSummary(list: readonly UploadItem[]): string {
  const total = list.length;
  const done = list.filter((u) => u.status === "done" || u.status === "processing").length;
  const failed = list.filter((u) => u.status === "failed").length;
  const active = list.some((u) => u.status === "uploading" || u.status === "queued");
  if (!total) return "";
  if (active) return `Uploading ${done} of ${total}…`;
  return failed ? `${done} of ${total} uploaded, ${failed} failed` : `${done} of ${total} uploaded`;
}
