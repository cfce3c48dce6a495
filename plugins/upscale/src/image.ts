import sharp from "sharp";

/** 8-bit sRGB pixels, 3 bytes per pixel, row by row. */
export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export const MAX_INPUT_PIXELS = 100_000_000;

export async function decodeRgb(bytes: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: "error" })
    .rotate()
    .flatten({ background: "#ffffff" })
    .toColourspace("srgb")
    .removeAlpha()
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export const rawSharp = (img: RgbImage) => sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } });

export async function encodePng(img: RgbImage): Promise<Buffer> {
  return rawSharp(img).png({ compressionLevel: 3 }).toBuffer();
}
