/**
 * Export options: format, quality, colour space, size limits, social platform presets, EXIF, and
 * where the result goes. One parser for HTTP, GraphQL and batch payloads, with FILTERS_INVALID_OPTIONS
 * naming the field.
 */
import { filtersError } from "../errors.js";
import type { WorkingSpace } from "../render/color/space.js";
import { FORMATS, type Format } from "../render/encode.js";
import type { SizeLimits } from "../render/geometry.js";

export interface Platform {
  id: string;
  label: string;
  width: number;
  height: number;
  format: Format;
  quality: number;
  /** The platform's upload limit we stay under. */
  maxBytes: number;
}

const MB = 1024 * 1024;

/**
 * "Ready for platform X": exact pixel sizes (the photo's crop is trimmed about its centre to the
 * platform's aspect; a smaller photo is never enlarged), a format and a byte limit each.
 */
export const PLATFORMS: Platform[] = [
  { id: "instagram-portrait", label: "Instagram portrait (4:5)", width: 1080, height: 1350, format: "jpeg", quality: 90, maxBytes: 8 * MB },
  { id: "instagram-square", label: "Instagram square (1:1)", width: 1080, height: 1080, format: "jpeg", quality: 90, maxBytes: 8 * MB },
  { id: "instagram-landscape", label: "Instagram landscape (1.91:1)", width: 1080, height: 566, format: "jpeg", quality: 90, maxBytes: 8 * MB },
  { id: "instagram-story", label: "Instagram story / reel cover (9:16)", width: 1080, height: 1920, format: "jpeg", quality: 90, maxBytes: 8 * MB },
  { id: "facebook-feed", label: "Facebook feed (1.91:1)", width: 1200, height: 630, format: "jpeg", quality: 90, maxBytes: 8 * MB },
  { id: "x-landscape", label: "X post (16:9)", width: 1600, height: 900, format: "jpeg", quality: 90, maxBytes: 5 * MB },
  { id: "x-portrait", label: "X post (4:5)", width: 1080, height: 1350, format: "jpeg", quality: 90, maxBytes: 5 * MB },
  { id: "linkedin-landscape", label: "LinkedIn post (1.91:1)", width: 1200, height: 627, format: "jpeg", quality: 90, maxBytes: 5 * MB },
  { id: "pinterest-pin", label: "Pinterest pin (2:3)", width: 1000, height: 1500, format: "jpeg", quality: 90, maxBytes: 20 * MB },
  { id: "tiktok-photo", label: "TikTok photo (9:16)", width: 1080, height: 1920, format: "jpeg", quality: 90, maxBytes: 20 * MB },
  { id: "youtube-thumbnail", label: "YouTube thumbnail (16:9)", width: 1280, height: 720, format: "jpeg", quality: 90, maxBytes: 2 * MB },
];

export type SaveAs = "version" | "asset";

export interface ExportSettings {
  exportFormat: Format;
  exportQuality: number;
  colorSpace: WorkingSpace;
  keepExif: boolean;
  keepGps: boolean;
  saveAs: SaveAs | "auto";
}

export const DEFAULT_SETTINGS: ExportSettings = { exportFormat: "jpeg", exportQuality: 90, colorSpace: "srgb", keepExif: true, keepGps: false, saveAs: "auto" };

/** What an export does, every default resolved. */
export interface ResolvedExport {
  format: Format;
  quality: number;
  colorSpace: WorkingSpace;
  limits: SizeLimits;
  forceAspect?: number;
  maxBytes?: number;
  platform?: string;
  exif: { keep: boolean; keepGps: boolean };
  saveAs: SaveAs;
  /** File name of a new asset (without extension); default "<asset name> (<what>)". */
  name?: string;
}

const KEYS = ["format", "quality", "colorSpace", "longEdge", "megapixels", "width", "height", "maxBytes", "platform", "exif", "saveAs", "name"] as const;

/** Parses export options (from a request, a job payload or a batch); defaults come from the tenant's settings. */
export function parseExportOptions(input: unknown, settings: ExportSettings = DEFAULT_SETTINGS): ResolvedExport {
  const o = (input ?? {}) as Record<string, unknown>;
  const bad = (field: string, why: string) => filtersError("FILTERS_INVALID_OPTIONS", `export option ${field} ${why}`, [{ path: `/${field}`, message: why }]);
  if (typeof o !== "object" || Array.isArray(o)) throw bad("(all)", "must be an object");
  for (const k of Object.keys(o)) if (!(KEYS as readonly string[]).includes(k)) throw bad(k, `is not an export option; expected one of ${KEYS.join(", ")}`);
  const int = (k: string, min: number, max: number): number | undefined => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      throw bad(k, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
    return v;
  };
  let platform: Platform | undefined;
  if (o.platform !== undefined && o.platform !== null) {
    platform = PLATFORMS.find((p) => p.id === o.platform);
    if (!platform) throw bad("platform", `must be one of ${PLATFORMS.map((p) => p.id).join(", ")} (got ${JSON.stringify(o.platform)})`);
  }
  const format = (o.format ?? platform?.format ?? settings.exportFormat) as Format;
  if (!FORMATS.includes(format)) throw bad("format", `must be one of ${FORMATS.join(", ")} (got ${JSON.stringify(o.format)})`);
  const quality = int("quality", 1, 100) ?? platform?.quality ?? settings.exportQuality;
  const colorSpace = (o.colorSpace ?? settings.colorSpace) as WorkingSpace;
  if (colorSpace !== "srgb" && colorSpace !== "p3") throw bad("colorSpace", `must be srgb or p3 (got ${JSON.stringify(o.colorSpace)})`);
  const longEdge = int("longEdge", 16, 65535);
  const width = int("width", 16, 65535);
  const height = int("height", 16, 65535);
  const maxBytes = int("maxBytes", 10_000, 500 * MB) ?? platform?.maxBytes;
  let megapixels: number | undefined;
  if (o.megapixels !== undefined && o.megapixels !== null) {
    if (typeof o.megapixels !== "number" || !(o.megapixels >= 0.01 && o.megapixels <= 500))
      throw bad("megapixels", `must be a number from 0.01 to 500 (got ${JSON.stringify(o.megapixels)})`);
    megapixels = o.megapixels;
  }
  const exifIn = (o.exif ?? {}) as Record<string, unknown>;
  if (typeof exifIn !== "object" || Array.isArray(exifIn)) throw bad("exif", "must be an object { keep?, keepGps? }");
  for (const k of Object.keys(exifIn)) if (k !== "keep" && k !== "keepGps") throw bad(`exif/${k}`, "is not an EXIF option; expected keep or keepGps");
  for (const k of ["keep", "keepGps"]) if (exifIn[k] !== undefined && typeof exifIn[k] !== "boolean") throw bad(`exif/${k}`, "must be true or false");
  const exif = { keep: (exifIn.keep as boolean | undefined) ?? settings.keepExif, keepGps: (exifIn.keepGps as boolean | undefined) ?? settings.keepGps };
  const requested = o.saveAs ?? settings.saveAs;
  if (requested !== "version" && requested !== "asset" && requested !== "auto")
    throw bad("saveAs", `must be version, asset or auto (got ${JSON.stringify(o.saveAs)})`);
  const sized = !!(platform || longEdge || width || height || megapixels || maxBytes);
  const saveAs: SaveAs = requested === "auto" ? (sized ? "asset" : "version") : requested;
  if (o.name !== undefined && (typeof o.name !== "string" || !o.name.trim() || o.name.length > 200))
    throw bad("name", "must be a non-empty string of at most 200 characters");
  const limits: SizeLimits = {
    ...(platform ? { exact: { width: platform.width, height: platform.height } } : {}),
    ...(width ? { maxWidth: width } : {}),
    ...(height ? { maxHeight: height } : {}),
    ...(longEdge ? { longEdge } : {}),
    ...(megapixels ? { megapixels } : {}),
  };
  return {
    format,
    quality,
    colorSpace,
    limits,
    ...(platform ? { forceAspect: platform.width / platform.height, platform: platform.id } : {}),
    ...(maxBytes ? { maxBytes } : {}),
    exif,
    saveAs,
    ...(typeof o.name === "string" ? { name: o.name.trim() } : {}),
  };
}
