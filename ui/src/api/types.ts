/**
 * The kernel's JSON, as the studio reads it. One name for one thing: these mirror the kernel's
 * `Asset`, `JobRecord`, panel and plugin shapes (kernel/src/assets/asset-types.ts,
 * kernel/src/sdk/context.ts, kernel/src/http/kernel-routes.ts).
 */

export type AssetKind = "image" | "video" | "audio";

export interface Derivative {
  name: string;
  mime: string;
  size: number;
  width?: number;
  height?: number;
}

export interface AssetVersion {
  version: number;
  mime: string;
  size: number;
  sha256: string;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  metadata: Record<string, unknown>;
  derivatives: Record<string, Derivative>;
  source: string;
  createdAt: string;
}

export interface Asset {
  id: string;
  tenantId: string;
  kind: AssetKind;
  name: string;
  status: "processing" | "ready" | "failed";
  currentVersion: number;
  tags: string[];
  projectIds: string[];
  error: { code: string; message: string } | null;
  capturedAt: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  version: AssetVersion | null;
  /** File URLs: never build storage paths by hand. */
  urls: { original: string; files: Record<string, string> };
}

export interface AssetQuery {
  cursor?: string;
  limit?: number;
  kind?: AssetKind;
  tag?: string;
  projectId?: string;
  from?: string;
  to?: string;
  q?: string;
  deleted?: boolean;
}

export interface AssetPage {
  assets: Asset[];
  nextCursor: string | null;
}

export interface Project {
  id: string;
  kind: "album" | "project";
  name: string;
  createdAt: string | null;
  assetCount?: number;
}

export type JobStatus = "queued" | "running" | "retrying" | "succeeded" | "failed" | "cancelled";

export interface JobRecord {
  id: string;
  type: string;
  pluginId: string;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  payload: unknown;
  result: unknown;
  error: { code: string; message: string } | null;
  attempts: number;
  maxAttempts: number;
  tenantId: string;
  userId: string | null;
  assetId: string | null;
  parentId: string | null;
  idempotencyKey: string | null;
  createdAt: string;
  runAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

/** Where a panel mounts; the kernel's `PANEL_SLOTS`. */
export type PanelSlot = "library.action" | "editor.tool" | "inspector" | "page" | "dashboard.widget";

/** One entry of `GET /api/ui/panels`. */
export interface PanelDescriptor {
  plugin: string;
  pluginVersion: string;
  id: string;
  slot: PanelSlot;
  title: string;
  icon?: string;
  /** ES module at `/plugins/<id>/<version>/<entry>`. */
  url: string;
  /**
   * `third-party` panels run in a sandboxed iframe and reach the studio by postMessage only.
   * Absent means first-party (imported as an ES module into the studio).
   */
  trust?: "first-party" | "third-party";
}

/** One entry of `GET /api/kernel/plugins`. */
export interface PluginStatus {
  id: string;
  version: string;
  state: string;
  phase?: string;
  reason?: string;
  enabled: boolean;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
