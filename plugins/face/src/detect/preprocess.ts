import sharp from "sharp";
import type { RgbImage } from "../image.js";

/** How the image sits in the square model input: its scale and the padding before it. */
export interface Letterbox {
  size: number;
  /** Input pixels per image pixel, per axis (equal up to rounding). */
  scaleX: number;
  scaleY: number;
  left: number;
  top: number;
}

/**
 * Fits the image into a `size`×`size` square keeping its aspect (black bars, centred), as
 * MediaPipe's ImageToTensorCalculator does with `keep_aspect_ratio`, and converts it to a
 * NHWC float32 tensor in [-1, 1].
 */
export async function letterboxTensor(img: RgbImage, size: number): Promise<{ data: Float32Array; box: Letterbox }> {
  const scale = Math.min(size / img.width, size / img.height);
  const w = Math.max(1, Math.min(size, Math.round(img.width * scale)));
  const h = Math.max(1, Math.min(size, Math.round(img.height * scale)));
  const left = Math.floor((size - w) / 2);
  const top = Math.floor((size - h) / 2);
  const raw = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: "fill" })
    .extend({ top, bottom: size - h - top, left, right: size - w - left, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (raw[i] as number) / 127.5 - 1;
  return { data, box: { size, scaleX: w / img.width, scaleY: h / img.height, left, top } };
}

/** A point normalised to the model input → image pixels. */
export function toImage(box: Letterbox, x: number, y: number): { x: number; y: number } {
  return { x: (x * box.size - box.left) / box.scaleX, y: (y * box.size - box.top) / box.scaleY };
}
