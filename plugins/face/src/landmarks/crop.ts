/**
 * A rotated square of the image resampled to a model's input (bilinear, black outside the image),
 * and the way back from the model's pixels to the image's. Done on raw pixels: the crop is small
 * (192×192) and rotating it in libvips would need a second crop around the rotated canvas.
 */
import type { RgbImage } from "../image.js";

/** A square in the image: centre, side and rotation (radians, the face's eye line). */
export interface CropSquare {
  cx: number;
  cy: number;
  side: number;
  angle: number;
}

/** The square as an NHWC float32 tensor of `size`×`size`, values `pixel / 255`. */
export function cropTensor(img: RgbImage, sq: CropSquare, size: number): Float32Array {
  const out = new Float32Array(size * size * 3);
  const cos = Math.cos(sq.angle);
  const sin = Math.sin(sq.angle);
  const step = sq.side / size;
  const { pixels, width, height } = img;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const dx = (u + 0.5) * step - sq.side / 2;
      const dy = (v + 0.5) * step - sq.side / 2;
      const x = sq.cx + dx * cos - dy * sin - 0.5;
      const y = sq.cy + dx * sin + dy * cos - 0.5;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      const o = (v * size + u) * 3;
      // The four neighbours and their weights once per pixel; those outside the image count as black.
      const inX0 = x0 >= 0 && x0 < width;
      const inX1 = x0 + 1 >= 0 && x0 + 1 < width;
      const inY0 = y0 >= 0 && y0 < height;
      const inY1 = y0 + 1 >= 0 && y0 + 1 < height;
      const w00 = inX0 && inY0 ? (1 - fx) * (1 - fy) : 0;
      const w10 = inX1 && inY0 ? fx * (1 - fy) : 0;
      const w01 = inX0 && inY1 ? (1 - fx) * fy : 0;
      const w11 = inX1 && inY1 ? fx * fy : 0;
      const p00 = w00 ? (y0 * width + x0) * 3 : 0;
      const p10 = w10 ? (y0 * width + x0 + 1) * 3 : 0;
      const p01 = w01 ? ((y0 + 1) * width + x0) * 3 : 0;
      const p11 = w11 ? ((y0 + 1) * width + x0 + 1) * 3 : 0;
      for (let c = 0; c < 3; c++) {
        const acc =
          (pixels[p00 + c] as number) * w00 + (pixels[p10 + c] as number) * w10 + (pixels[p01 + c] as number) * w01 + (pixels[p11 + c] as number) * w11;
        out[o + c] = acc / 255;
      }
    }
  }
  return out;
}

/** A point in the model's input pixels (0..size) → image pixels. */
export function fromCrop(sq: CropSquare, size: number, u: number, v: number): { x: number; y: number } {
  const dx = (u / size - 0.5) * sq.side;
  const dy = (v / size - 0.5) * sq.side;
  return { x: sq.cx + dx * Math.cos(sq.angle) - dy * Math.sin(sq.angle), y: sq.cy + dx * Math.sin(sq.angle) + dy * Math.cos(sq.angle) };
}
