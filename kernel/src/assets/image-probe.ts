import exifr from "exifr";
import sharp from "sharp";
import { kernelError } from "../errors.js";

export interface ImageProbe {
  width: number;
  height: number;
  format: string;
  orientation: number | null;
  hasAlpha: boolean;
  space: string | null;
  iccProfile: string | null;
  capturedAt: string | null;
  camera: { make: string | null; model: string | null; lens: string | null } | null;
  gps: { latitude: number; longitude: number } | null;
}

/**
 * Checks an image before anything is kept: the pixel count against the limit (decompression
 * bombs are refused from the header, before decoding) and a small decode that fails on
 * truncated or corrupt data. Then reads EXIF for capture time, camera and GPS.
 */
export async function probeImage(file: string, maxPixels: number): Promise<ImageProbe> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw kernelError("KERNEL_MEDIA_CORRUPT", `the image cannot be read: ${(err as Error).message}`);
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (!width || !height) throw kernelError("KERNEL_MEDIA_CORRUPT", "the image has no dimensions");
  if (width * height > maxPixels) {
    throw kernelError(
      "KERNEL_MEDIA_TOO_LARGE",
      `the image is ${width} × ${height} (${Math.round((width * height) / 1e6)} MP), over the limit of ${Math.round(maxPixels / 1e6)} MP`,
    );
  }
  try {
    // A tiny decode (shrink-on-load keeps it cheap) that fails on truncated or corrupt data.
    await sharp(file, { failOn: "truncated", limitInputPixels: maxPixels }).resize(32, 32, { fit: "inside" }).raw().toBuffer();
  } catch (err) {
    throw kernelError("KERNEL_MEDIA_CORRUPT", `the image is truncated or corrupt: ${(err as Error).message}`);
  }
  const exif = await exifr
    .parse(file, { tiff: true, exif: true, gps: true, icc: true, pick: undefined, translateValues: true, reviveValues: true })
    .catch(() => null);
  const date = exif?.DateTimeOriginal ?? exif?.CreateDate ?? null;
  return {
    width,
    height,
    format: meta.format ?? "unknown",
    orientation: meta.orientation ?? null,
    hasAlpha: Boolean(meta.hasAlpha),
    space: meta.space ?? null,
    iccProfile: (exif?.ProfileDescription as string | undefined) ?? (meta.icc ? "embedded" : null),
    capturedAt: date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    camera: exif?.Make || exif?.Model ? { make: exif.Make ?? null, model: exif.Model ?? null, lens: exif.LensModel ?? null } : null,
    gps: typeof exif?.latitude === "number" && typeof exif?.longitude === "number" ? { latitude: exif.latitude, longitude: exif.longitude } : null,
  };
}
