import sharp from "sharp";

/** 8-bit sRGB pixels, 3 bytes per pixel, row by row. */
export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** Largest side we decode for face work; bigger photos are refused with a clear message. */
export const MAX_PIXELS = 100_000_000;

/**
 * Decodes any image sharp reads (JPEG incl. CMYK, PNG incl. 16-bit, WebP, AVIF, TIFF) to upright
 * 8-bit sRGB RGB. Alpha is flattened on white.
 */
export async function decodeRgb(bytes: Buffer): Promise<RgbImage & { format: string; hasAlpha: boolean }> {
  const img = sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: "error" });
  const meta = await img.metadata();
  const { data, info } = await img
    .rotate()
    .flatten({ background: "#ffffff" })
    .toColourspace("srgb")
    .removeAlpha()
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return {
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    format: meta.format ?? "unknown",
    hasAlpha: meta.hasAlpha === true,
  };
}

export function rawSharp(img: RgbImage, channels: 1 | 3 = 3) {
  return sharp(img.pixels, { raw: { width: img.width, height: img.height, channels } });
}

/** Encodes RGB pixels in the format of the original (JPEG stays JPEG, PNG stays PNG…). */
export async function encodeLike(img: RgbImage, format: string): Promise<{ bytes: Buffer; mime: string }> {
  const s = rawSharp(img);
  if (format === "png") return { bytes: await s.png().toBuffer(), mime: "image/png" };
  if (format === "webp") return { bytes: await s.webp({ quality: 92 }).toBuffer(), mime: "image/webp" };
  return { bytes: await s.jpeg({ quality: 92, chromaSubsampling: "4:4:4" }).toBuffer(), mime: "image/jpeg" };
}
