import type { AssetKind } from "./media-types.js";

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
  /** Thumbnails, proxy and poster, by file name (e.g. `thumb-256.webp`). */
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
}

export interface AssetListQuery {
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

/** Kernel-built blob keys; no part comes from user input. */
export const assetKeys = {
  prefix: (tenantId: string, assetId: string) => `tenants/${tenantId}/assets/${assetId}`,
  version: (tenantId: string, assetId: string, version: number) => `tenants/${tenantId}/assets/${assetId}/v${version}`,
  original: (tenantId: string, assetId: string, version: number, ext: string) => `tenants/${tenantId}/assets/${assetId}/v${version}/original.${ext}`,
  derivative: (tenantId: string, assetId: string, version: number, name: string) => `tenants/${tenantId}/assets/${assetId}/v${version}/${name}`,
};
