/**
 * Encoding developed pixels: format and quality, the output's ICC profile embedded (sRGB or
 * Display P3), EXIF written back by choice, and the search for the best quality under a byte limit.
 */
import sharp, { type Exif, type Sharp } from "sharp";
import { filtersError } from "../errors.js";
import type { Developed } from "./renderer.js";

export const FORMATS = ["jpeg", "png", "webp", "avif", "tiff"] as const;
export type Format = (typeof FORMATS)[number];
export const MIME: Record<Format, string> = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp", avif: "image/avif", tiff: "image/tiff" };
export const EXTENSION: Record<Format, string> = { jpeg: "jpg", png: "png", webp: "webp", avif: "avif", tiff: "tif" };
const LOSSY = new Set<Format>(["jpeg", "webp", "avif"]);
/** The lowest quality the byte-limit search goes to before making the image smaller. */
export const MIN_SEARCH_QUALITY = 40;

export interface EncodeOptions {
  format: Format;
  /** 1..100 (lossy formats). */
  quality: number;
  exif?: Exif | null;
  /** Preview encodes favour speed over size. */
  fast?: boolean;
}

export interface Encoded {
  data: Buffer;
  format: Format;
  mime: string;
  width: number;
  height: number;
  quality: number;
}

function pipeline(dev: Developed, width: number, height: number) {
  const img = sharp(dev.pixels, { raw: { width: dev.width, height: dev.height, channels: 3 } });
  return width !== dev.width || height !== dev.height ? img.resize(width, height, { fit: "fill", kernel: "lanczos3" }) : img;
}

function format(img: Sharp, o: EncodeOptions, space: Developed["space"]): Sharp {
  // 8-bit raw is sRGB to sharp and 16-bit raw is Display P3: embedding the working space's
  // profile is then a no-op transform that only tags the file. Fast (preview) sRGB encodes skip
  // it: browsers take untagged images as sRGB, and the transform costs as much as the encode.
  let out = o.fast && space === "srgb" ? img : img.withIccProfile(space);
  if (o.exif) out = out.withExif(o.exif);
  const q = Math.round(o.quality);
  switch (o.format) {
    case "jpeg":
      return out.jpeg({ quality: q, chromaSubsampling: q >= 90 ? "4:4:4" : "4:2:0", mozjpeg: !o.fast, progressive: !o.fast });
    case "png":
      return out.png({ compressionLevel: o.fast ? 1 : 6, adaptiveFiltering: !o.fast });
    case "webp":
      return out.webp({ quality: q, effort: o.fast ? 0 : 4 });
    case "avif":
      return out.avif({ quality: q, effort: o.fast ? 0 : 4 });
    case "tiff":
      return out.tiff({ compression: "lzw", predictor: "horizontal" });
  }
}

/** Encodes once at the given quality. */
export async function encode(dev: Developed, o: EncodeOptions): Promise<Encoded> {
  const { data, info } = await format(pipeline(dev, dev.width, dev.height), o, dev.space).toBuffer({ resolveWithObject: true });
  return { data, format: o.format, mime: MIME[o.format], width: info.width, height: info.height, quality: o.quality };
}

/**
 * Encodes at the highest quality (up to `o.quality`) whose file fits `maxBytes`: a binary search
 * over quality for lossy formats, then, if even the lowest quality is too big (or the format is
 * lossless), smaller sizes. Throws FILTERS_MAX_BYTES when a quarter of the size still does not fit.
 */
export async function encodeWithin(dev: Developed, o: EncodeOptions, maxBytes: number): Promise<Encoded & { attempts: number }> {
  let attempts = 0;
  const src = dev;
  const at = async (q: number, width: number, height: number) => {
    attempts++;
    const { data, info } = await format(pipeline(src, width, height), { ...o, quality: q }, src.space).toBuffer({ resolveWithObject: true });
    return { data, format: o.format, mime: MIME[o.format], width: info.width, height: info.height, quality: q };
  };
  let width = dev.width;
  let height = dev.height;
  for (let round = 0; round < 6; round++) {
    const top = await at(o.quality, width, height);
    if (top.data.length <= maxBytes) return { ...top, attempts };
    if (LOSSY.has(o.format) && o.quality > MIN_SEARCH_QUALITY) {
      let lo = MIN_SEARCH_QUALITY;
      let hi = Math.round(o.quality) - 1;
      let best: Encoded | null = null;
      while (lo <= hi) {
        const mid = Math.floor((lo + hi) / 2);
        const e = await at(mid, width, height);
        if (e.data.length <= maxBytes) {
          best = e;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (best) return { ...best, attempts };
    }
    // Too big at the lowest quality: shrink by the square root of the overshoot, a little more.
    const ratio = Math.sqrt(maxBytes / top.data.length) * 0.95;
    const scale = Math.max(0.5, Math.min(0.95, ratio));
    width = Math.max(1, Math.round(width * scale));
    height = Math.max(1, Math.round(height * scale));
    if (width < dev.width / 4 && height < dev.height / 4) break;
  }
  throw filtersError("FILTERS_MAX_BYTES", `cannot encode ${o.format} under ${maxBytes} bytes, even at quality ${MIN_SEARCH_QUALITY} and a quarter of the size`);
}
