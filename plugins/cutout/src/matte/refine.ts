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

/** Below this the model says background, above 1 − this foreground: the trimap's sure regions. */
const SURE = 0.05;

/**
 * Trimap colour refinement of the uncertain band (the model's alpha between 5 % and 95 %). A
 * salient-object model asked about a plain backdrop often answers "a bit" in blotches across
 * it, and about a contact shadow "half". With the sure regions as a trimap, each uncertain pixel
 * is projected onto the line between the local foreground and background colours (box-filtered
 * means of the sure pixels within `radius`, the image-wide means where there are none nearby):
 * α = (I − B)·(F − B) / |F − B|². A pixel the colour of the backdrop gets ~0, one the colour of the
 * subject ~1, and a grey shadow on a grey backdrop little (it is darker, not more like the
 * subject). Where F and B are close in colour the projection says nothing, so it is trusted in
 * proportion to |F − B| (fully from 0.2, not at all under 0.05, in 0..1 RGB units) and the model's
 * alpha is kept for the rest. Returns a new 0..1 alpha; sure pixels are unchanged.
 */
export function trimapColourRefine(px: Uint8Array, p: Float32Array, width: number, height: number, radius: number): Float32Array {
  const n = width * height;
  const fg = new Float32Array(n);
  const bg = new Float32Array(n);
  let uncertain = 0;
  for (let i = 0; i < n; i++) {
    const a = p[i] as number;
    if (a > 1 - SURE) fg[i] = 1;
    else if (a < SURE) bg[i] = 1;
    else uncertain++;
  }
  const out = Float32Array.from(p);
  if (uncertain === 0) return out;
  // Image-wide means of the sure regions: the fallback where none is within the radius.
  const globalF = [0, 0, 0];
  const globalB = [0, 0, 0];
  let nF = 0;
  let nB = 0;
  for (let i = 0; i < n; i++) {
    const target = fg[i] ? globalF : bg[i] ? globalB : null;
    if (!target) continue;
    for (let c = 0; c < 3; c++) target[c] = (target[c] as number) + (px[i * 3 + c] as number) / 255;
    if (fg[i]) nF++;
    else nB++;
  }
  if (nF === 0 || nB === 0) return out; // no trimap to speak of: keep the model's answer
  for (let c = 0; c < 3; c++) {
    globalF[c] = (globalF[c] as number) / nF;
    globalB[c] = (globalB[c] as number) / nB;
  }
  const meanF = boxFilter(fg, width, height, radius);
  const meanB = boxFilter(bg, width, height, radius);
  const localF: Float32Array[] = [];
  const localB: Float32Array[] = [];
  const channel = new Float32Array(n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) channel[i] = ((px[i * 3 + c] as number) / 255) * (fg[i] as number);
    localF.push(boxFilter(channel, width, height, radius));
    for (let i = 0; i < n; i++) channel[i] = ((px[i * 3 + c] as number) / 255) * (bg[i] as number);
    localB.push(boxFilter(channel, width, height, radius));
  }
  // Less than this share of the window sure: too few pixels for a local mean.
  const minShare = 0.01;
  for (let i = 0; i < n; i++) {
    const a = p[i] as number;
    if (a < SURE || a > 1 - SURE) continue;
    const wf = meanF[i] as number;
    const wb = meanB[i] as number;
    let dot = 0;
    let len = 0;
    for (let c = 0; c < 3; c++) {
      const f = wf > minShare ? ((localF[c] as Float32Array)[i] as number) / wf : (globalF[c] as number);
      const b = wb > minShare ? ((localB[c] as Float32Array)[i] as number) / wb : (globalB[c] as number);
      const d = f - b;
      dot += ((px[i * 3 + c] as number) / 255 - b) * d;
      len += d * d;
    }
    const dist = Math.sqrt(len);
    const trust = Math.min(1, Math.max(0, (dist - 0.05) / 0.15));
    if (trust === 0) continue;
    const colour = Math.min(1, Math.max(0, dot / len));
    out[i] = trust * colour + (1 - trust) * a;
  }
  return out;
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
  const coloured = trimapColourRefine(px, p, width, height, Math.max(8, Math.round(Math.min(width, height) / 8)));
  const q = guidedFilter(I, coloured, width, height, r, options.eps ?? 1e-3);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // Where the model is sure (near 0 or 1) keep it; the guided result shapes the uncertain band.
    const m = p[i] as number;
    const v = m < 0.02 ? 0 : m > 0.98 ? 1 : (q[i] as number);
    out[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return out;
}
