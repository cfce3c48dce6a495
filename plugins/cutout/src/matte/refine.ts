/**
 * Edge refinement of a low-resolution matte at full resolution: the matte is upsampled to the
 * photo's size and passed through a guided filter (He, Sun and Tang 2010) with the photo's
 * luminance as the guide, so the alpha edge follows the photo's edges (hair, fine contours)
 * instead of the blocky upsampled one. O(pixels) box filters on Float32Arrays.
 */
import sharp from "sharp";
import type { RgbImage } from "../image.js";

/** Mean over a (2r+1)² window clipped at the borders, separable running sums. */
export function boxFilter(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    for (let x = 0; x <= Math.min(r, width - 1); x++) sum += src[row + x] as number;
    for (let x = 0; x < width; x++) {
      const lo = x - r;
      const hi = x + r;
      tmp[row + x] = sum / (Math.min(hi, width - 1) - Math.max(lo, 0) + 1);
      if (hi + 1 < width) sum += src[row + hi + 1] as number;
      if (lo >= 0) sum -= src[row + lo] as number;
    }
  }
  for (let x = 0; x < width; x++) {
    let sum = 0;
    for (let y = 0; y <= Math.min(r, height - 1); y++) sum += tmp[y * width + x] as number;
    for (let y = 0; y < height; y++) {
      const lo = y - r;
      const hi = y + r;
      out[y * width + x] = sum / (Math.min(hi, height - 1) - Math.max(lo, 0) + 1);
      if (hi + 1 < height) sum += tmp[(hi + 1) * width + x] as number;
      if (lo >= 0) sum -= tmp[lo * width + x] as number;
    }
  }
  return out;
}

/** Guided filter of `p` (0..1) with guide `I` (0..1). */
export function guidedFilter(I: Float32Array, p: Float32Array, width: number, height: number, r: number, eps: number): Float32Array {
  const n = I.length;
  const Ip = new Float32Array(n);
  const II = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = I[i] as number;
    Ip[i] = g * (p[i] as number);
    II[i] = g * g;
  }
  const mI = boxFilter(I, width, height, r);
  const mP = boxFilter(p, width, height, r);
  const mIp = boxFilter(Ip, width, height, r);
  const mII = boxFilter(II, width, height, r);
  const a = Ip; // reuse
  const b = II;
  for (let i = 0; i < n; i++) {
    const mi = mI[i] as number;
    const cov = (mIp[i] as number) - mi * (mP[i] as number);
    const v = (mII[i] as number) - mi * mi;
    const ai = cov / (v + eps);
    a[i] = ai;
    b[i] = (mP[i] as number) - ai * mi;
  }
  const mA = boxFilter(a, width, height, r);
  const mB = boxFilter(b, width, height, r);
  const q = mI; // reuse
  for (let i = 0; i < n; i++) q[i] = (mA[i] as number) * (I[i] as number) + (mB[i] as number);
  return q;
}

export interface RefineOptions {
  /** Guided-filter radius in full-size pixels; default scales with the photo (about 1/200 of its short side, at least 2). */
  radius?: number;
  eps?: number;
  /** Skip the guided filter: the matte is only upsampled. */
  refine?: boolean;
}

/** Full-size alpha (0..255) from a low-resolution matte. */
export async function refineMatte(low: { alpha: Uint8Array; width: number; height: number }, img: RgbImage, options: RefineOptions = {}): Promise<Uint8Array> {
  const { width, height } = img;
  const up = await sharp(low.alpha, { raw: { width: low.width, height: low.height, channels: 1 } })
    .resize(width, height, { fit: "fill", kernel: "cubic" })
    .extractChannel(0) // sharp writes 1-channel raw input back as 3 channels otherwise
    .raw()
    .toBuffer();
  if (options.refine === false) return new Uint8Array(up.buffer, up.byteOffset, up.length);
  const n = width * height;
  const I = new Float32Array(n);
  const p = new Float32Array(n);
  const px = img.pixels;
  for (let i = 0; i < n; i++) {
    I[i] = (0.299 * (px[i * 3] as number) + 0.587 * (px[i * 3 + 1] as number) + 0.114 * (px[i * 3 + 2] as number)) / 255;
    p[i] = (up[i] as number) / 255;
  }
  const r = options.radius ?? Math.max(2, Math.round(Math.min(width, height) / 200));
  const q = guidedFilter(I, p, width, height, r, options.eps ?? 1e-3);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // Where the model is sure (near 0 or 1) keep it; the guided result shapes the uncertain band.
    const m = p[i] as number;
    const v = m < 0.02 ? 0 : m > 0.98 ? 1 : (q[i] as number);
    out[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return out;
}
