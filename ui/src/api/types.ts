/**
 * The kernel's JSON, as the studio reads it. Asset, job and panel shapes come from the kernel's
 * own API types (`@crealia/kernel/api`, type-only), so the studio cannot drift from the routes.
 */
import type { AssetJson, AssetKind, JobRecord, PanelSlot } from "@crealia/kernel/api";

export type { AssetKind, AssetVersion, Derivative, JobRecord, JobStatus, PanelSlot } from "@crealia/kernel/api";

export type Asset = AssetJson;

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

export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

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
  name?: string;
  description?: string;
  state: string;
  phase?: string;
  reason?: string;
  enabled: boolean;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
