import { ApiError, CLIENT_CODES } from "./errors.js";
import type { Asset, AssetPage, AssetQuery, JobPage, JobRecord, JobStatus, PanelDescriptor, PluginStatus, Project } from "./types.js";

export type Query = Record<string, string | number | boolean | null | undefined>;

/** `?a=1&b=x` from the defined, non-empty values, in key order (stable URLs cache better). */
export function buildQuery(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined || value === null || value === "" || value === false) continue;
    params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Count this request in the shell's progress indicator (default true). */
  track?: boolean;
  /** Don't try a session refresh on 401 (the auth routes themselves). */
  noRefresh?: boolean;
}

/** Bytes sent of one upload. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** The part of XMLHttpRequest uploads use, so tests can hand in a fake. */
export interface XhrLike {
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  status: number;
  responseText: string;
  withCredentials: boolean;
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  getResponseHeader(name: string): string | null;
  send(body: unknown): void;
  abort(): void;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  xhr?: () => XhrLike;
  /** Called when a tracked request starts; returns the function to call when it ends. */
  onRequest?: () => () => void;
  /** Called on any 401 that a session refresh could not cure, so the shell can show sign-in. */
  onUnauthenticated?: () => void;
  /**
   * Renews an expired session (cookie mode: short-lived access token, rotating refresh token);
   * resolves true when it did. A request that got 401 is sent once more after a refresh.
   */
  refresh?: () => Promise<boolean>;
  /** The CSRF token for cookie sessions (sent as `x-csrf-token` on writes), if any. */
  csrfToken?: () => string | null;
}

export interface UploadResult {
  asset: Asset;
  jobId: string;
}

export interface UploadHandle {
  promise: Promise<UploadResult>;
  abort(): void;
}

/** Reads a kernel error body; anything else becomes a bad-response error. */
async function errorFrom(res: Response): Promise<ApiError> {
  const requestId = res.headers.get("x-request-id");
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the status.
  }
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (e && typeof e.code === "string") return new ApiError(res.status, e.code, typeof e.message === "string" ? e.message : "", requestId, e.details);
  return new ApiError(res.status, `HTTP_${res.status}`, res.statusText, requestId);
}

export function errorFromXhr(status: number, text: string, requestId: string | null): ApiError {
  if (status === 0) return new ApiError(0, CLIENT_CODES.network, "", requestId);
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
    if (e && typeof e.code === "string") return new ApiError(status, e.code, typeof e.message === "string" ? e.message : "", requestId, e.details);
  } catch {
    // fall through
  }
  return new ApiError(status, `HTTP_${status}`, "", requestId);
}

/**
 * The typed client of the kernel's HTTP API. Every call goes through `request`, which adds the
 * CSRF header on writes, counts the request for the progress indicator and turns every failure
 * (network, kernel error body, unreadable answer) into an `ApiError` with a human message.
 */
export class ApiClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private refreshing: Promise<boolean> | null = null;

  constructor(private readonly options: ApiClientOptions = {}) {
    this.base = (options.baseUrl ?? "").replace(/\/$/, "");
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  url(path: string, query?: Query): string {
    return `${this.base}${path}${buildQuery(query)}`;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    try {
      return await this.send<T>(method, path, options);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || options.noRefresh || !this.options.refresh) {
        if (err instanceof ApiError && err.status === 401 && !options.noRefresh) this.options.onUnauthenticated?.();
        throw err;
      }
      // One refresh at a time, shared by every request that found the session expired.
      this.refreshing ??= this.options.refresh().finally(() => {
        this.refreshing = null;
      });
      if (!(await this.refreshing)) {
        this.options.onUnauthenticated?.();
        throw err;
      }
      return this.send<T>(method, path, options);
    }
  }

  private async send<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    let body: BodyInit | undefined;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    if (method !== "GET" && method !== "HEAD") {
      const csrf = this.options.csrfToken?.();
      if (csrf) headers["x-csrf-token"] = csrf;
    }
    const end = options.track === false ? undefined : this.options.onRequest?.();
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path, options.query), { method, headers, body, signal: options.signal, credentials: "same-origin" });
    } catch (err) {
      end?.();
      if ((err as { name?: string }).name === "AbortError") throw new ApiError(0, CLIENT_CODES.aborted, "");
      throw new ApiError(0, CLIENT_CODES.network, String((err as Error).message ?? err));
    }
    try {
      if (!res.ok) throw await errorFrom(res);
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      if (!text) return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ApiError(res.status, CLIENT_CODES.badResponse, "not JSON");
      }
    } finally {
      end?.();
    }
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal) {
    return this.request<T>("GET", path, { query, signal });
  }
  post<T>(path: string, body?: unknown) {
    return this.request<T>("POST", path, { body });
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>("PATCH", path, { body });
  }
  put<T>(path: string, body: unknown) {
    return this.request<T>("PUT", path, { body });
  }
  delete<T = void>(path: string, query?: Query, body?: unknown) {
    return this.request<T>("DELETE", path, { query, body });
  }

  // Assets
  listAssets(query: AssetQuery, signal?: AbortSignal) {
    return this.get<AssetPage>("/api/assets", { ...query }, signal);
  }
  getAsset(id: string) {
    return this.get<Asset>(`/api/assets/${encodeURIComponent(id)}`);
  }
  updateAsset(id: string, fields: { name?: string; tags?: string[] }) {
    return this.patch<Asset>(`/api/assets/${encodeURIComponent(id)}`, fields);
  }
  trashAsset(id: string) {
    return this.delete(`/api/assets/${encodeURIComponent(id)}`);
  }
  purgeAsset(id: string) {
    return this.delete(`/api/assets/${encodeURIComponent(id)}`, { purge: true });
  }
  restoreAsset(id: string) {
    return this.post<Asset>(`/api/assets/${encodeURIComponent(id)}/restore`);
  }
  listProjects() {
    return this.get<{ projects: Project[] }>("/api/projects");
  }
  createProject(name: string, kind: "album" | "project") {
    return this.post<Project>("/api/projects", { name, kind });
  }
  addToProject(projectId: string, assetIds: string[]) {
    return this.post<{ added: number }>(`/api/projects/${encodeURIComponent(projectId)}/assets`, { assetIds });
  }
  removeFromProject(projectId: string, assetIds: string[]) {
    return this.delete(`/api/projects/${encodeURIComponent(projectId)}/assets`, undefined, { assetIds });
  }

  /**
   * Uploads one file as a new asset with XMLHttpRequest, whose upload events give per-file
   * progress (fetch has none). The promise rejects with an ApiError on any failure.
   */
  upload(
    file: Blob & { name?: string },
    options: { name?: string; tags?: string[]; projectId?: string; onProgress?: (p: UploadProgress) => void } = {},
  ): UploadHandle {
    const form = new FormData();
    if (options.name) form.append("name", options.name);
    if (options.tags?.length) form.append("tags", options.tags.join(","));
    if (options.projectId) form.append("projectId", options.projectId);
    // Fields first: the kernel reads them before it streams the file.
    form.append("file", file, options.name ?? file.name ?? "upload");
    const csrf = this.options.csrfToken?.();
    const headers: Record<string, string> = { accept: "application/json", ...(csrf ? { "x-csrf-token": csrf } : {}) };
    const { promise, abort } = this.sendXhr("POST", this.url("/api/assets"), form, headers, file.size, options.onProgress);
    return {
      promise: promise.then((text) => {
        try {
          return JSON.parse(text) as UploadResult;
        } catch {
          throw new ApiError(200, CLIENT_CODES.badResponse, "not JSON");
        }
      }),
      abort,
    };
  }

  /**
   * Sends bytes to a presigned URL (a direct upload or one part of a resumable one) with upload
   * progress. The URL's signature is the authorization: no cookies or CSRF header go with it.
   */
  putBlob(
    request: { url: string; method?: string; headers?: Record<string, string> },
    body: Blob,
    onProgress?: (p: UploadProgress) => void,
  ): { promise: Promise<void>; abort(): void } {
    const { promise, abort } = this.sendXhr(request.method ?? "PUT", request.url, body, request.headers ?? {}, body.size, onProgress, false);
    return { promise: promise.then(() => undefined), abort };
  }

  /** One XMLHttpRequest, counted in the activity indicator; resolves with the body of a 2xx answer. */
  private sendXhr(
    method: string,
    url: string,
    body: Blob | FormData,
    headers: Record<string, string>,
    size: number,
    onProgress?: (p: UploadProgress) => void,
    withCredentials = true,
  ): { promise: Promise<string>; abort(): void } {
    const xhr = this.options.xhr?.() ?? (new XMLHttpRequest() as unknown as XhrLike);
    const end = this.options.onRequest?.();
    let aborted = false;
    const promise = new Promise<string>((resolve, reject) => {
      xhr.open(method, url);
      xhr.withCredentials = withCredentials;
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : size });
      xhr.onload = () => {
        end?.();
        if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.responseText);
        if (xhr.status === 401 && withCredentials) this.options.onUnauthenticated?.();
        reject(errorFromXhr(xhr.status, xhr.responseText, xhr.getResponseHeader("x-request-id")));
      };
      xhr.onerror = () => {
        end?.();
        reject(errorFromXhr(0, "", null));
      };
      xhr.onabort = () => {
        end?.();
        reject(new ApiError(0, CLIENT_CODES.aborted, ""));
      };
      xhr.send(body);
    });
    return {
      promise,
      abort: () => {
        if (aborted) return;
        aborted = true;
        xhr.abort();
      },
    };
  }

  // Jobs
  listJobs(query: { status?: JobStatus[]; type?: string; assetId?: string; limit?: number; cursor?: string } = {}) {
    return this.get<JobPage>("/api/jobs", { ...query, status: query.status?.join(",") });
  }
  getJob(id: string) {
    return this.get<JobRecord>(`/api/jobs/${encodeURIComponent(id)}`);
  }
  cancelJob(id: string) {
    return this.post<JobRecord>(`/api/jobs/${encodeURIComponent(id)}/cancel`);
  }
  retryJob(id: string) {
    return this.post<JobRecord>(`/api/jobs/${encodeURIComponent(id)}/retry`);
  }

  // Kernel
  panels() {
    return this.get<{ panels: PanelDescriptor[] }>("/api/ui/panels");
  }
  plugins() {
    return this.get<{ plugins: PluginStatus[] }>("/api/kernel/plugins");
  }
}
