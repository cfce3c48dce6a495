import { stat } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { Derivative } from "./asset-types.js";
import { ffmpeg, runFfmpeg } from "./ffmpeg.js";

export interface ThumbnailSpec {
  size: number;
  format: "webp" | "avif" | "jpeg";
}

/** Default thumbnails: a grid size and a large preview in WebP, a small AVIF for clients that take it. */
export const DEFAULT_THUMBNAILS: ThumbnailSpec[] = [
  { size: 256, format: "webp" },
  { size: 1024, format: "webp" },
  { size: 256, format: "avif" },
];

export const thumbnailName = (t: ThumbnailSpec) => `thumb-${t.size}.${t.format}`;

/**
 * Writes every thumbnail of an image into `dir` from one decode: the source is decoded once at
 * the largest size needed (shrink-on-load), oriented by EXIF, and each size is cut from that.
 */
export async function makeThumbnails(source: string, dir: string, specs: ThumbnailSpec[], maxPixels: number): Promise<Derivative[]> {
  const largest = Math.max(...specs.map((s) => s.size));
  const base = sharp(source, { limitInputPixels: maxPixels })
    .rotate()
    .resize(largest, largest, { fit: "inside", withoutEnlargement: true })
    .toColourspace("srgb");
  const { data, info } = await base.raw().toBuffer({ resolveWithObject: true });
  const out: Derivative[] = [];
  for (const spec of specs) {
    const name = thumbnailName(spec);
    const file = path.join(dir, name);
    const img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).resize(spec.size, spec.size, {
      fit: "inside",
      withoutEnlargement: true,
    });
    const encoded =
      spec.format === "webp"
        ? img.webp({ quality: 80 })
        : spec.format === "avif"
          ? img.avif({ quality: 50, effort: 2 })
          : img.jpeg({ quality: 82, mozjpeg: true });
    const written = await encoded.toFile(file);
    out.push({ name, mime: `image/${spec.format}`, size: written.size, width: written.width, height: written.height });
  }
  return out;
}

/** A 480p H.264/AAC proxy for smooth editing and previews. */
export async function makeVideoProxy(
  source: string,
  dir: string,
  options: { durationMs: number | null; hasAudio: boolean; signal?: AbortSignal; onProgress?: (f: number) => void },
): Promise<Derivative> {
  const file = path.join(dir, "proxy.mp4");
  const cmd = ffmpeg(source)
    .outputOptions([
      "-map 0:v:0",
      ...(options.hasAudio ? ["-map 0:a:0", "-c:a aac", "-b:a 96k"] : []),
      "-vf scale=-2:'min(480,ih)'",
      "-c:v libx264",
      "-preset veryfast",
      "-crf 28",
      "-pix_fmt yuv420p",
      "-movflags +faststart",
    ])
    .output(file);
  await runFfmpeg(cmd, options);
  return { name: "proxy.mp4", mime: "video/mp4", size: (await stat(file)).size };
}

/** A poster frame (JPEG) from a tenth into the video, or its first frame when it is short. */
export async function makePoster(source: string, dir: string, durationMs: number | null, signal?: AbortSignal): Promise<string> {
  const file = path.join(dir, "poster.jpg");
  const at = durationMs && durationMs > 2000 ? Math.min(durationMs / 10, 3000) / 1000 : 0;
  await runFfmpeg(ffmpeg(source).seekInput(at).outputOptions(["-frames:v 1", "-q:v 3"]).output(file), { signal });
  return file;
}
