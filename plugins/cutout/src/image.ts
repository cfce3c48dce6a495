import sharp from "sharp";

/** 8-bit sRGB pixels, 3 bytes per pixel, row by row. */
export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export const MAX_PIXELS = 100_000_000;

/** Any image sharp reads (CMYK JPEG, 16-bit PNG, WebP…) → upright 8-bit sRGB RGB, alpha flattened on white. */
export async function decodeRgb(bytes: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: "error" })
    .rotate()
    .flatten({ background: "#ffffff" })
    .toColourspace("srgb")
    .removeAlpha()
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
