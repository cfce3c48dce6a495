/**
 * What the renderer measures on a decoded photo: histograms (for the panel and auto-enhance) and
 * the haze level dehaze adapts to. Computed once per decoded base, on a sample of its pixels.
 */
import type { RecipePatch } from "../recipe/schema.js";
import type { Pixels } from "./color/lut.js";
import type { ImageStats } from "./color/program.js";
import { decode, encode, encodeFast } from "./color/space.js";

export interface Histogram {
  /** 256 bins each, of encoded values; `luma` of Rec. 709 luminance. */
  red: number[];
  green: number[];
  blue: number[];
  luma: number[];
}

export interface Analysis extends ImageStats {
  histogram: Histogram;
  /** Mean linear-light value per channel of the pixels neither clipped nor near black (grey-world). */
  meanLinear: [number, number, number];
  /** Luminance percentiles (encoded 0..1). */
  p005: number;
  p25: number;
  p50: number;
  p75: number;
  p995: number;
}

const percentile = (hist: number[], total: number, q: number) => {
  let acc = 0;
  const target = q * total;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i] as number;
    if (acc >= target) return i / 255;
  }
  return 1;
};

/** Histograms and statistics of RGB pixels (`max` 255 or 65535), sampling about `samples` pixels. */
export function analyse(pixels: Pixels, max: number, samples = 120_000): Analysis {
  const n = pixels.length / 3;
  const step = Math.max(1, Math.floor(n / samples));
  const red = new Array<number>(256).fill(0);
  const green = new Array<number>(256).fill(0);
  const blue = new Array<number>(256).fill(0);
  const luma = new Array<number>(256).fill(0);
  const minHist = new Array<number>(256).fill(0);
  const dec = new Float64Array(256);
  for (let i = 0; i < 256; i++) dec[i] = decode(i / 255);
  let sr = 0;
  let sg = 0;
  let sb = 0;
  let counted = 0;
  let total = 0;
  const k = 255 / max;
  for (let p = 0; p < n; p += step) {
    const r = Math.round((pixels[p * 3] as number) * k);
    const g = Math.round((pixels[p * 3 + 1] as number) * k);
    const b = Math.round((pixels[p * 3 + 2] as number) * k);
    red[r] = (red[r] as number) + 1;
    green[g] = (green[g] as number) + 1;
    blue[b] = (blue[b] as number) + 1;
    const lr = dec[r] as number;
    const lg = dec[g] as number;
    const lb = dec[b] as number;
    const y = Math.round(encodeFast(0.2126 * lr + 0.7152 * lg + 0.0722 * lb) * 255);
    luma[y] = (luma[y] as number) + 1;
    const lo = Math.min(r, g, b);
    minHist[lo] = (minHist[lo] as number) + 1;
    total++;
    if (Math.max(r, g, b) < 250 && y > 12) {
      sr += lr;
      sg += lg;
      sb += lb;
      counted++;
    }
  }
  const c = Math.max(1, counted);
  return {
    histogram: { red, green, blue, luma },
    haze: decode(percentile(minHist, total, 0.01)),
    meanLinear: [sr / c, sg / c, sb / c],
    p005: percentile(luma, total, 0.005),
    p25: percentile(luma, total, 0.25),
    p50: percentile(luma, total, 0.5),
    p75: percentile(luma, total, 0.75),
    p995: percentile(luma, total, 0.995),
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round = (v: number, step = 1) => Math.round(v / step) * step;

/**
 * Auto-enhance: a starting point computed from the histogram. Exposure brings the median to mid
 * grey, white balance neutralises most of the average cast (grey world, 70 % of it, so a sunset
 * stays warm), whites and blacks stretch the range to the clipping points, and contrast opens a
 * flat image. Inverts the renderer's own slider models, so what it returns is what it does.
 */
export function autoEnhance(a: Analysis): RecipePatch {
  const [mr, mg, mb] = a.meanLinear;
  let temperature = 0;
  let tint = 0;
  if (mr > 1e-4 && mg > 1e-4 && mb > 1e-4) {
    // Renderer: red gain 2^(0.5 t), blue 2^(-0.5 t), green 2^(-0.35 m) with t, m = slider / 100.
    temperature = clamp(round(0.7 * 100 * Math.log2(mb / mr), 1), -100, 100);
    const t = temperature / 100;
    const rb = Math.sqrt(mr * 2 ** (0.5 * t) * mb * 2 ** (-0.5 * t));
    tint = clamp(round(0.7 * 100 * (-Math.log2(rb / mg) / 0.35), 1), -100, 100);
  }
  const median = Math.max(0.02, a.p50);
  const exposure = clamp(round(Math.log2(0.18 / decode(median)) * 0.8, 0.05), -2, 2);
  // After exposure the ends move too; aim whites/blacks at what is left.
  const gain = 2 ** exposure;
  const hi = Math.min(1, encode(decode(a.p995) * gain));
  const lo = encode(decode(a.p005) * gain);
  const whites = clamp(round(((0.97 - hi) / 0.35) * 100 * 0.8), -60, 60);
  const blacks = clamp(round(((0.02 - lo) / 0.35) * 100 * 0.8), -60, 60);
  const spread = a.p75 - a.p25;
  const contrast = clamp(round((0.3 - spread) * 150), -30, 40);
  return { basic: { temperature, tint, exposure, contrast, whites, blacks } };
}
