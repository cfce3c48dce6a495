import type { Asset, JobRecord, PanelSlot } from "../api/types.js";

export type { Asset, AssetKind, AssetVersion, Derivative, JobRecord, JobStatus, PanelDescriptor, PanelSlot } from "../api/types.js";

/**
 * Version of the panel contract (`mount(element, sdk)` and the `PanelSdk` surface), semver:
 * a minor for an addition, a major for anything a written panel could notice otherwise.
 * 1.1.0 added `jobs.untilEnded`.
 */
export const PANEL_SDK_VERSION = "1.1.0";

/** Where a panel mounts in the studio (the kernel's `PANEL_SLOTS`). */
export const PANEL_SLOTS: readonly PanelSlot[] = ["library.action", "editor.tool", "inspector", "page", "dashboard.widget"];

export type Unsubscribe = () => void;
export type ThemeName = "light" | "dark";
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type ToastKind = "info" | "success" | "error";

export interface PanelInfo {
  plugin: string;
  pluginVersion: string;
  id: string;
  slot: PanelSlot;
  title: string;
}

/** A value that changes: read it now, or be told now and on every change. */
export interface Observable<T> {
  current(): T;
  /** Calls `fn` at once with the current value, then on every change, until unsubscribed. */
  subscribe(fn: (value: T) => void): Unsubscribe;
}

export interface PanelApi {
  /** The plugin's own route prefix: `/api/p/<plugin>/v<major>`. */
  readonly base: string;
  /**
   * A JSON request to the kernel as the signed-in user (cookies and CSRF are handled). Paths
   * start with `/api/`. A sandboxed (third-party) panel may only reach its own plugin's routes
   * (`/api/p/<plugin>/…`) and read assets and jobs (`GET /api/assets…`, `GET /api/jobs…`).
   * Rejects with an `Error` whose message is fit to show a person, and whose `code` is the kernel's.
   */
  request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
}

export interface PanelJobs {
  /** Calls `fn` with the job's record now and on every update (live, over the studio's one event stream). */
  watch(jobId: string, fn: (job: JobRecord) => void): Unsubscribe;
  /**
   * Waits for a job to end: resolves with its record once it has succeeded, failed or been
   * cancelled (never rejects: read `status`, and `error` for why), calling `onProgress` with
   * each update's progress (0..1) on the way. Built on `watch`. Since 1.1.0.
   */
  untilEnded(jobId: string, onProgress?: (progress: number, job: JobRecord) => void): Promise<JobRecord>;
}

/** The editor frame, given to `editor.tool` panels only. */
export interface PanelEditor {
  /** The edited image ("after" in before/after): a Blob, a same-origin `/api/…` URL or a `data:image/…` URL; null shows the original. */
  setPreview(image: Blob | string | null): void;
  /**
   * Records an edit in the editor's history under `label`, with the panel's own `state`
   * (JSON-compatible) and the preview shown now. Undo and redo restore that preview and hand
   * the state back through `history`.
   */
  commit(label: string, state: unknown): void;
  /** The state of the history entry now current (null before the first edit); changes on undo, redo and commit. */
  readonly history: Observable<unknown>;
}

/** What a panel receives as the second argument of `mount`. */
export interface PanelSdk {
  readonly version: string;
  readonly panel: PanelInfo;
  readonly api: PanelApi;
  /** The asset in focus: the one open in the editor, or the only one selected in the library. */
  readonly asset: Observable<Asset | null>;
  /** Ids of the assets selected in the library. */
  readonly selection: Observable<string[]>;
  readonly jobs: PanelJobs;
  readonly theme: Observable<ThemeName>;
  /** A short message in the studio's toast area (announced to screen readers). */
  toast(message: string, kind?: ToastKind): void;
  /** Present in the `editor.tool` slot, null elsewhere. */
  readonly editor: PanelEditor | null;
}

/** Undoes what `mount` did (listeners, timers, DOM): called when the panel closes. */
export type Unmount = () => void;

/** A panel's ES module exports `mount`. */
export interface PanelModule {
  mount(element: HTMLElement, sdk: PanelSdk): Unmount | undefined | Promise<Unmount | undefined>;
}
