/**
 * The JSON the kernel's REST API answers, for its clients (the studio, scripts, other services):
 * one definition shared by the routes that write it and the code that reads it. Types only.
 */
import type { Asset } from "../assets/asset-types.js";

export type { Asset, AssetVersion, Derivative } from "../assets/asset-types.js";
export type { AssetKind } from "../assets/media-types.js";
export type { JobRecord, JobStatus } from "../sdk/context.js";
export type { PanelSlot } from "../sdk/manifest.js";

/** An asset as `GET /api/assets…` answers it: with the URLs of its files, so clients never build storage paths. */
export interface AssetJson extends Asset {
  urls: { original: string; files: Record<string, string> };
}
