import type { ApiClient, UploadResult } from "../api/client.js";
import { ApiError, CLIENT_CODES } from "../api/errors.js";

/**
 * Resumable uploads for big files, over the kernel's direct-upload API
 * (kernel/src/http/asset-routes.ts): start a session, PUT each part to its presigned URL, then
 * complete. A failed part is tried again a few times; if the connection stays down the upload
 * fails, and a later try (Retry, or picking the same file again after a reload) asks the kernel
 * which parts arrived and sends only the rest. The session id is kept in localStorage under the
 * file's name, size and modification time, since a reloaded page has no other way to find it.
 */

export const UPLOAD_ROUTES = {
  limits: "/api/assets/upload-limits",
  start: "/api/assets/uploads",
  one: (id: string) => `/api/assets/uploads/${encodeURIComponent(id)}`,
  parts: (id: string) => `/api/assets/uploads/${encodeURIComponent(id)}/parts`,
  complete: (id: string) => `/api/assets/uploads/${encodeURIComponent(id)}/complete`,
} as const;

export interface UploadLimits {
  maxUploadBytes: number;
  /** Files above this size go in resumable parts. */
  resumableAbove: number;
  partSize: number;
}

export interface PresignedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
}

interface UploadSession {
  id: string;
  size: number;
  status: "open" | "completed" | "aborted";
  put?: PresignedRequest;
  multipart?: { partSize: number; partCount: number; uploadedParts: number[] };
}

/** Sends one body to a presigned URL; `onProgress` gets the bytes of this body sent so far. */
export type PutBlob = (request: PresignedRequest, body: Blob, onProgress: (loaded: number) => void) => { promise: Promise<void>; abort(): void };

/** Where session ids are remembered (localStorage in the studio). */
export type KeyValueStore = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export interface ResumableDeps {
  api: Pick<ApiClient, "get" | "post" | "delete">;
  put: PutBlob;
  store: KeyValueStore | null;
  /** Tries after the first for one part (default 3), waiting `retryDelayMs` × 2ⁿ between them. */
  retries?: number;
  retryDelayMs?: number;
}

export interface ResumableProgress {
  loaded: number;
  total: number;
  partsDone: number;
  partCount: number;
  /** Parts the kernel had already when this try began (a resumed upload). */
  resumedParts: number;
}

export interface ResumableFile extends Blob {
  name: string;
  lastModified: number;
}

/** The localStorage key of a file's upload session: the same file picked again finds it. */
export function resumeKey(file: ResumableFile): string {
  return `crealia.upload:${file.size}:${file.lastModified}:${file.name}`;
}

/** Part `n` (1-based) of a file cut in parts of `partSize`. */
export function partRange(n: number, partSize: number, size: number): { start: number; end: number } {
  const start = (n - 1) * partSize;
  return { start, end: Math.min(size, start + partSize) };
}

const aborted = () => new ApiError(0, CLIENT_CODES.aborted, "");

/** Uploads `file` through a resumable session; resolves like a plain upload (the asset and its ingest job). */
export function uploadResumable(
  file: ResumableFile,
  options: { name?: string; projectId?: string; onProgress?: (p: ResumableProgress) => void },
  deps: ResumableDeps,
): { promise: Promise<UploadResult>; abort(): void } {
  let stopped = false;
  let current: { abort(): void } | null = null;
  let wake: (() => void) | null = null;
  const key = resumeKey(file);
  const retries = deps.retries ?? 3;
  const delay = deps.retryDelayMs ?? 500;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  /** The session this file had, if the kernel still has it open; a stale id is forgotten. */
  async function resume(): Promise<UploadSession | null> {
    const id = deps.store?.getItem(key);
    if (!id) return null;
    try {
      const session = await deps.api.get<UploadSession>(UPLOAD_ROUTES.one(id));
      if (session.status === "open" && session.size === file.size) return session;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status === 0) throw err;
    }
    deps.store?.removeItem(key);
    return null;
  }

  async function begin(): Promise<UploadSession> {
    const session = await deps.api.post<UploadSession>(UPLOAD_ROUTES.start, {
      name: options.name ?? file.name,
      size: file.size,
      contentType: file.type || "application/octet-stream",
      ...(options.projectId ? { projectId: options.projectId } : {}),
    });
    deps.store?.setItem(key, session.id);
    return session;
  }

  /** One PUT, tried again on failure (network or server); a refusal (4xx) or an abort ends it. */
  async function send(request: () => Promise<PresignedRequest>, body: Blob, onProgress: (loaded: number) => void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (stopped) throw aborted();
      try {
        const handle = deps.put(await request(), body, onProgress);
        current = handle;
        await handle.promise;
        return;
      } catch (err) {
        onProgress(0);
        const status = err instanceof ApiError ? err.status : 0;
        const final = stopped || (err as ApiError).code === CLIENT_CODES.aborted || (status >= 400 && status < 500) || attempt >= retries;
        if (final) throw stopped ? aborted() : err;
        await sleep(delay * 2 ** attempt);
      } finally {
        current = null;
      }
    }
  }

  async function run(): Promise<UploadResult> {
    const session = (await resume()) ?? (await begin());
    const total = file.size;
    const report = (p: Omit<ResumableProgress, "total">) => options.onProgress?.({ ...p, total });
    if (session.put) {
      const put = session.put;
      await send(
        async () => put,
        file,
        (loaded) => report({ loaded, partsDone: 0, partCount: 1, resumedParts: 0 }),
      );
    } else if (session.multipart) {
      const { partSize, partCount, uploadedParts } = session.multipart;
      const done = new Set(uploadedParts);
      const resumedParts = done.size;
      const sent = () => [...done].reduce((sum, n) => sum + (partRange(n, partSize, total).end - partRange(n, partSize, total).start), 0);
      report({ loaded: sent(), partsDone: done.size, partCount, resumedParts });
      for (let n = 1; n <= partCount; n++) {
        if (done.has(n)) continue;
        const { start, end } = partRange(n, partSize, total);
        const base = sent();
        // Part URLs are asked for one at a time, so a retry after a long outage gets a fresh one.
        const request = async () => {
          const { parts } = await deps.api.post<{ parts: { partNumber: number; request: PresignedRequest }[] }>(UPLOAD_ROUTES.parts(session.id), {
            partNumbers: [n],
          });
          const part = parts[0];
          if (!part) throw new ApiError(200, CLIENT_CODES.badResponse, "no part URL");
          return part.request;
        };
        await send(request, file.slice(start, end), (loaded) => report({ loaded: base + loaded, partsDone: done.size, partCount, resumedParts }));
        done.add(n);
        report({ loaded: sent(), partsDone: done.size, partCount, resumedParts });
      }
    }
    if (stopped) throw aborted();
    const result = await deps.api.post<UploadResult>(UPLOAD_ROUTES.complete(session.id));
    deps.store?.removeItem(key);
    return result;
  }

  return {
    promise: run(),
    abort() {
      stopped = true;
      current?.abort();
      wake?.();
    },
  };
}

/** Gives up a file's remembered session (a cancelled upload): the kernel drops its parts. */
export async function forgetResumable(file: ResumableFile, deps: Pick<ResumableDeps, "api" | "store">): Promise<void> {
  const key = resumeKey(file);
  const id = deps.store?.getItem(key);
  if (!id) return;
  deps.store?.removeItem(key);
  await deps.api.delete(UPLOAD_ROUTES.one(id)).catch(() => {});
}
