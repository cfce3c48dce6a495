/**
 * Per-pixel maps the pass reads: they depend on the stage's pixels (and a parameter or two), not
 * on the sliders' amounts, so previews compute each once and keep it with the stage. libvips does
 * the blurs, on a downscaled copy when the radius is large (a blur of radius σ/k on an image k
 * times smaller, sampled back up, is the same blur at a fraction of the cost).
 */
import sharp, { type ResizeOptions } from "sharp";
import type { Pixels } from "./color/lut.js";
import { decode } from "./color/space.js";

export interface MapSource {
  pixels: Pixels;
  width: number;
  height: number;
  max: number;
}

const EPS = 0.004;

/**
 * Luma of the pixels, 8-bit (libvips' greyscale: luminance on the sRGB curve). Local contrast,
 * texture and sharpening compare it with blurs of itself.
 */
export async function luma8(s: MapSource): Promise<Uint8Array> {
  const raw = await sharp(s.pixels, { raw: { width: s.width, height: s.height, channels: 3 } })
    .greyscale()
    .toColourspace("b-w")
    .raw()
    .toBuffer();
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
}

/** `luma` blurred with a gaussian of `sigma` pixels, at full size: blurred small when the radius is large, then sampled back up. */
export async function blur8(luma: Uint8Array, width: number, height: number, sigma: number): Promise<Uint8Array> {
  const k = Math.max(1, sigma / 2.5);
  const lw = Math.max(1, Math.round(width / k));
  const lh = Math.max(1, Math.round(height / k));
  let img = sharp(luma, { raw: { width, height, channels: 1 } });
  if (lw !== width || lh !== height) img = img.resize(lw, lh, { fit: "fill" });
  img = img.blur(Math.max(0.3, sigma / k));
  if (lw !== width || lh !== height) img = img.resize(width, height, { fit: "fill", kernel: "linear" } as ResizeOptions);
  const raw = await img.toColourspace("b-w").raw().toBuffer();
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
}

/** log(Y + ε) of each 8-bit luma value, Y in linear light. */
const LOG_Y = Float64Array.from({ length: 256 }, (_, v) => Math.log(decode(v / 255) + EPS));

/**
 * Detail tables indexed by `luma << 8 | blur`: the log-ratio of a pixel's luminance to its blur's
 * (positive on the bright side of an edge), shaped per use. No logarithm runs per pixel.
 */
function ratioTable(shape: (y: number, r: number) => number): Float32Array {
  const t = new Float32Array(new SharedArrayBuffer(65536 * 4));
  for (let y = 0; y < 256; y++) for (let b = 0; b < 256; b++) t[(y << 8) | b] = shape(y, (LOG_Y[y] as number) - (LOG_Y[b] as number));
  return t;
}

/** Clarity acts on midtones: the ratio weighted by 1 − (2·L − 1)², L the (perceptual) luma. */
export const CLARITY_TABLE = ratioTable((y, r) => {
  const m = (2 * y) / 255 - 1;
  return 0.9 * (1 - m * m) * r;
});

export const TEXTURE_TABLE = ratioTable((_, r) => 0.7 * r);

/**
 * Sharpening as a luminance unsharp mask in the log domain. `masking` (0..1) leaves flat areas
 * alone (only ratios beyond a threshold count), `detail` (0..1) lets halos grow: low detail clamps
 * the boost.
 */
export function sharpenTable(masking: number, detail: number): Float32Array {
  const t0 = masking * 0.03;
  const t1 = t0 + 0.005 + masking * 0.05;
  const limit = 0.05 + 0.3 * detail;
  return ratioTable((_, r) => {
    const a = Math.abs(r);
    let w = 1;
    if (masking > 0) {
      const s = a <= t0 ? 0 : a >= t1 ? 1 : (a - t0) / (t1 - t0);
      w = s * s * (3 - 2 * s);
    }
    return 2.2 * w * Math.max(-limit, Math.min(limit, r));
  });
}

function toPixels(raw: Buffer, sixteen: boolean): Pixels {
  return sixteen ? new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2) : new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
}

/** A 3×3 median of the pixels (luminance noise reduction blends toward it where it is close). */
export async function median(s: MapSource): Promise<Pixels> {
  const sixteen = s.max === 65535;
  let img = sharp(s.pixels, { raw: { width: s.width, height: s.height, channels: 3 } }).median(3);
  if (sixteen) img = img.toColourspace("rgb16");
  return toPixels(await img.raw(sixteen ? { depth: "ushort" } : {}).toBuffer(), sixteen);
}

/** The pixels blurred with `sigma`, full size (colour noise reduction takes its chroma). */
export async function colourBlur(s: MapSource, sigma: number): Promise<Pixels> {
  const sixteen = s.max === 65535;
  const k = Math.max(1, sigma / 2);
  const lw = Math.max(1, Math.round(s.width / k));
  const lh = Math.max(1, Math.round(s.height / k));
  let img = sharp(s.pixels, { raw: { width: s.width, height: s.height, channels: 3 } });
  if (lw !== s.width || lh !== s.height) img = img.resize(lw, lh, { fit: "fill" });
  img = img.blur(Math.max(0.3, sigma / k));
  const small = await img.raw().toBuffer({ resolveWithObject: true });
  let up = sharp(small.data, { raw: { width: small.info.width, height: small.info.height, channels: 3 } }).resize(s.width, s.height, { fit: "fill" });
  if (sixteen) up = up.toColourspace("rgb16");
  return toPixels(await up.raw(sixteen ? { depth: "ushort" } : {}).toBuffer(), sixteen);
}

const VIG_STEPS = 1024;
/** (1 + f)^(1/2.2) for f in -1..0: a darkening of linear light, applied to encoded values. */
const DARKEN = Float32Array.from({ length: VIG_STEPS + 1 }, (_, i) => (i / VIG_STEPS) ** 0.4545);

/**
 * The vignette of a frame: for a darkening vignette (amount < 0) the multiplier of encoded values
 * ((1 + f)^(1/2.2), linear light times 1 + f); for a lightening one, the fraction f toward white.
 * Roundness 0 follows the frame's shape, 100 is a circle, below 0 tends to a rounded rectangle.
 * Symmetric: computed for one quarter and mirrored.
 */
export function vignetteMap(width: number, height: number, v: { amount: number; midpoint: number; roundness: number; feather: number }): Float32Array {
  const out = new Float32Array(width * height);
  const amount = v.amount / 100;
  const start = 0.3 + 0.9 * (v.midpoint / 100) - (0.05 + 1.1 * (v.feather / 100)) / 2;
  const span = 0.05 + 1.1 * (v.feather / 100);
  const round = v.roundness / 100;
  const pw = round < 0 ? 2 + -round * 6 : 2;
  const D = Math.max(width, height);
  const kx = width / D;
  const ky = height / D;
  const hw = Math.ceil(width / 2);
  const hh = Math.ceil(height / 2);
  for (let y = 0; y < hh; y++) {
    const ny = (y + 0.5 - height / 2) / (height / 2);
    for (let x = 0; x < hw; x++) {
      const nx = (x + 0.5 - width / 2) / (width / 2);
      let d: number;
      if (round >= 0) {
        const ex = Math.sqrt(nx * nx + ny * ny);
        const ci = Math.sqrt(nx * nx * kx * kx + ny * ny * ky * ky);
        d = (ex + (ci - ex) * round) * Math.SQRT1_2;
      } else {
        d = (Math.abs(nx) ** pw + Math.abs(ny) ** pw) ** (1 / pw);
      }
      let s = (d - start) / span;
      s = s < 0 ? 0 : Math.min(s, 1);
      const f = s * s * (3 - 2 * s) * amount;
      const value = amount < 0 ? (DARKEN[Math.round((1 + f) * VIG_STEPS)] as number) : f;
      const x2 = width - 1 - x;
      const y2 = height - 1 - y;
      out[y * width + x] = value;
      out[y * width + x2] = value;
      out[y2 * width + x] = value;
      out[y2 * width + x2] = value;
    }
  }
  return out;
}

function hash(x: number, y: number, seed: number): number {
  let h = (Math.imul(x, 374761393) + Math.imul(y, 668265263) + Math.imul(seed, 144665)) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  h ^= h >>> 16;
  return (h & 0xffff) / 32767.5 - 1;
}

/**
 * Film grain: value noise with cells of `1 + 3·size` full-size pixels, plus finer noise by
 * roughness, deterministic (seeded), so a recipe renders the same bytes every time. `scale` is
 * output pixels per full-size pixel: a preview shows the same grain, averaged as the eye would.
 * Returns the field (-1..1) and how much of it survives the averaging (1 at full size).
 */
export function grainField(
  width: number,
  height: number,
  g: { size: number; roughness: number },
  scale: number,
  seed = 7,
): { field: Float32Array; visibility: number } {
  const cellFull = 1 + (3 * g.size) / 100;
  const cell = Math.max(1, cellFull * scale);
  const visibility = Math.min(1, Math.sqrt(cellFull * scale));
  const rough = g.roughness / 100;
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) grid[y * gw + x] = hash(x, y, seed) + hash(x, y, seed + 101);
  const field = new Float32Array(width * height);
  const inv = 1 / cell;
  for (let y = 0; y < height; y++) {
    const fy0 = (y + 0.5) * inv;
    const iy = fy0 | 0;
    let fy = fy0 - iy;
    fy = fy * fy * (3 - 2 * fy);
    for (let x = 0; x < width; x++) {
      const fx0 = (x + 0.5) * inv;
      const ix = fx0 | 0;
      let fx = fx0 - ix;
      fx = fx * fx * (3 - 2 * fx);
      const o = iy * gw + ix;
      const a = grid[o] as number;
      const b = grid[o + 1] as number;
      const c = grid[o + gw] as number;
      const d = grid[o + gw + 1] as number;
      const top = a + (b - a) * fx;
      let n = (top + (c + (d - c) * fx - top) * fy) * 0.5;
      if (rough > 0) n = n * (1 - 0.5 * rough) + hash(x, y, seed + 7) * 0.6 * rough;
      field[y * width + x] = n;
    }
  }
  return { field, visibility };
}
