/**
 * The colour half of a recipe as one function on a pixel. Everything a recipe does to a colour
 * without looking at its neighbours (white balance, exposure, dehaze, the tone sliders, HSL,
 * colour grading, vibrance/saturation, the tone curve and an imported LUT) is composed here,
 * then baked into lookup tables (`lut.ts`), so rendering is one pass over the pixels however many
 * sliders moved.
 *
 * Split in two, as colour pipelines with a shaper LUT are: a per-channel `shaper` (each output
 * channel depends on its own input only: white balance, exposure, dehaze's black point, the tone
 * sliders) baked exactly into 1D tables for every input value, and a `mix` on the shaped colour
 * (HSL, grading, saturation, the curves, the LUT), baked into a 3D grid. Where `mix` only holds
 * per-channel work the whole program stays 1D.
 */
import type { CurvePoint, GradingWheel, HslBand, Recipe, Wheel } from "../../recipe/schema.js";
import { GRADING_WHEELS, HSL_BANDS } from "../../recipe/schema.js";
import { type CubeLut, sampleCube } from "./cube.js";
import { curveTable, isIdentityCurve, lookup } from "./curve.js";
import { decode, decodeFast, encode, encodeFast, fromOklab, hueToSrgb, SPACES, srgbHue, toOklab, type WorkingSpace } from "./space.js";

/** What the renderer measured on the image that some operations adapt to. */
export interface ImageStats {
  /** Linear-light level of the haze veil: a low percentile of each pixel's darkest channel. */
  haze: number;
}

export const DEFAULT_STATS: ImageStats = { haze: 0.04 };

export interface ToneParams {
  temperature: number;
  tint: number;
  exposure: number;
  contrast: number;
  highlights: number;
  shadows: number;
  whites: number;
  blacks: number;
  dehaze: number;
}

export interface ChromaParams {
  saturation: number;
  vibrance: number;
  dehaze: number;
  hsl?: Record<HslBand, { hue: number; saturation: number; luminance: number }>;
  grading?: Record<GradingWheel, Wheel> & { blending: number; balance: number };
}

export interface ColorSpec {
  tone: ToneParams;
  chroma: ChromaParams;
  curves?: Record<"rgb" | "red" | "green" | "blue", CurvePoint[]>;
  cube?: { lut: CubeLut; amount: number };
}

export interface ColorProgram {
  /** Nothing to do: every colour maps to itself. */
  identity: boolean;
  /** `mix` is per-channel too, so the whole program is three 1D functions. */
  separable: boolean;
  /** Per-channel part on an encoded value in 0..1; result in 0..1. */
  shaper: [(v: number) => number, (v: number) => number, (v: number) => number];
  /** The rest, on the shaped colour (encoded, 0..1), in place. Null when there is none. */
  mix: ((rgb: Float64Array) => void) | null;
  /** A stable key of what the program does (for caching its tables). */
  key: string;
}

/** Mid grey (18 % linear) on the sRGB curve: the contrast pivot. */
const PIVOT = encode(0.18);
const DEG = Math.PI / 180;

/** The reference colours of the eight HSL bands, as OKLab hue angles (radians, sorted). */
const BAND_COLOURS: Record<HslBand, [number, number, number]> = {
  red: [1, 0, 0],
  orange: [1, 0.5, 0],
  yellow: [1, 1, 0],
  green: [0, 1, 0],
  aqua: [0, 1, 1],
  blue: [0, 0, 1],
  purple: [0.5, 0, 1],
  magenta: [1, 0, 1],
};
export const BAND_HUES: number[] = HSL_BANDS.map((b) => {
  const h = srgbHue(...BAND_COLOURS[b]);
  return h < 0 ? h + 2 * Math.PI : h;
});

/**
 * Weights of the eight bands at a hue (radians, 0..2π): the two bands around it share 1 with a
 * raised cosine, so moving one band's slider never makes a step between neighbouring colours.
 */
export function bandWeights(hue: number, out: Float64Array) {
  out.fill(0);
  const n = BAND_HUES.length;
  for (let i = 0; i < n; i++) {
    const a = BAND_HUES[i] as number;
    let b = BAND_HUES[(i + 1) % n] as number;
    let h = hue;
    if (b < a) {
      b += 2 * Math.PI;
      if (h < a) h += 2 * Math.PI;
    }
    if (h >= a && h < b) {
      const t = (h - a) / (b - a);
      const w = 0.5 * (1 + Math.cos(Math.PI * t));
      out[i] = w;
      out[(i + 1) % n] = 1 - w;
      return;
    }
  }
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

const clamp01 = (v: number) => (v < 0 ? 0 : Math.min(v, 1));

/** Per-channel tone: white balance and exposure in linear light, then the tone sliders on the encoded value. */
function toneShaper(t: ToneParams, space: WorkingSpace, stats: ImageStats): [(v: number) => number, (v: number) => number, (v: number) => number] | null {
  const neutral = Object.values(t).every((v) => v === 0);
  if (neutral) return null;
  const luma = SPACES[space].luma;
  const temp = t.temperature / 100;
  const tint = t.tint / 100;
  const wb = [2 ** (0.5 * temp), 2 ** (-0.35 * tint), 2 ** (-0.5 * temp)];
  const norm = luma[0] * (wb[0] as number) + luma[1] * (wb[1] as number) + luma[2] * (wb[2] as number);
  const ev = 2 ** t.exposure;
  const gains = wb.map((g) => (g / norm) * ev);
  const dh = t.dehaze / 100;
  const haze = Math.min(0.25, Math.max(0.005, stats.haze)) * dh;
  const gamma = 2 ** (0.8 * (t.contrast / 100));
  const s = t.shadows / 100;
  const aS = s > 0 ? 1.6 * s : 0.9 * s;
  const h = t.highlights / 100;
  const aH = h > 0 ? 0.9 * h : 2 * h;
  const w = t.whites / 100;
  const aW = w > 0 ? 0.35 * w : 0.2 * w;
  const b = t.blacks / 100;
  const aB = b > 0 ? 0.2 * b : 0.35 * b;
  const make = (gain: number) => (v: number) => {
    let lin = decode(v) * gain;
    if (dh > 0) lin = Math.max(0, lin - haze) / (1 - haze);
    else if (dh < 0) lin = lin * (1 + 0.5 * dh) - 0.5 * dh * 0.55;
    let p = clamp01(encode(lin));
    if (gamma !== 1) p = p < PIVOT ? PIVOT * (p / PIVOT) ** gamma : 1 - (1 - PIVOT) * ((1 - p) / (1 - PIVOT)) ** gamma;
    if (aS !== 0) p += aS * p * (1 - p) * (1 - p);
    if (aH !== 0) p += aH * p * p * (1 - p);
    if (aW !== 0) p += aW * p * p * p * p;
    if (aB !== 0) p += aB * (1 - p) ** 4;
    return clamp01(p);
  };
  return [make(gains[0] as number), make(gains[1] as number), make(gains[2] as number)];
}

/** HSL bands, colour grading, vibrance and saturation, in OKLab. Null when they are all neutral. */
function chromaStage(c: ChromaParams, space: WorkingSpace): ((rgb: Float64Array) => void) | null {
  const info = SPACES[space];
  const bands = c.hsl ? HSL_BANDS.map((b) => (c.hsl as NonNullable<ChromaParams["hsl"]>)[b]) : [];
  const hslActive = bands.some((b) => b.hue !== 0 || b.saturation !== 0 || b.luminance !== 0);
  const g = c.grading;
  const wheels = g ? GRADING_WHEELS.map((w) => g[w]) : [];
  const gradingActive = wheels.some((w) => w.saturation !== 0 || w.luminance !== 0);
  const sat = 1 + c.saturation / 100;
  const vib = c.vibrance / 100;
  const dhChroma = c.dehaze > 0 ? 1 + (0.25 * c.dehaze) / 100 : 1;
  if (!hslActive && !gradingActive && sat === 1 && vib === 0 && dhChroma === 1) return null;

  const hueShift = bands.map((b) => (b.hue / 100) * 30 * DEG);
  const satScale = bands.map((b) => b.saturation / 100);
  const lumShift = bands.map((b) => (b.luminance / 100) * 0.2);
  // Grading: each wheel's hue points where that HSV hue lies in OKLab, so 0° is red and 240° blue.
  const wheelVec = wheels.map((w) => {
    const dir = srgbHue(...hueToSrgb(w.hue));
    const k = (w.saturation / 100) * 0.1;
    return { a: Math.cos(dir) * k, b: Math.sin(dir) * k, L: (w.luminance / 100) * 0.15 };
  });
  const pivot = g ? 0.5 - (0.2 * g.balance) / 100 : 0.5;
  const spread = g ? 0.1 + (0.4 * g.blending) / 100 : 0.3;
  const lab = new Float64Array(3);
  const weights = new Float64Array(8);
  const needHue = hslActive || vib !== 0;

  return (rgb) => {
    toOklab(info, decodeFast(rgb[0] as number), decodeFast(rgb[1] as number), decodeFast(rgb[2] as number), lab);
    let L = lab[0] as number;
    let a = lab[1] as number;
    let b = lab[2] as number;
    let C = Math.sqrt(a * a + b * b);
    let h = needHue ? Math.atan2(b, a) : 0;
    if (h < 0) h += 2 * Math.PI;
    let hueMoved = false;
    if (hslActive) {
      bandWeights(h, weights);
      let dh = 0;
      let ks = 1;
      let dl = 0;
      for (let i = 0; i < 8; i++) {
        const w = weights[i] as number;
        if (w === 0) continue;
        dh += w * (hueShift[i] as number);
        ks += w * (satScale[i] as number);
        dl += w * (lumShift[i] as number);
      }
      const gate = smoothstep(0, 0.04, C);
      if (dh !== 0) {
        h += dh * gate;
        hueMoved = true;
      }
      C *= Math.max(0, ks);
      L += dl * Math.min(1, C / 0.12) * gate;
    }
    if (vib !== 0) {
      const low = (1 - Math.min(1, C / 0.2)) ** 2;
      const skin = Math.exp(-(((h - 0.95) / 0.4) ** 2));
      C *= Math.max(0, 1 + vib * low * (vib > 0 ? 1 - 0.6 * skin : 1));
    }
    C *= sat * dhChroma;
    if (hueMoved) {
      a = C * Math.cos(h);
      b = C * Math.sin(h);
    } else {
      const c0 = Math.sqrt(a * a + b * b);
      const k = c0 > 1e-9 ? C / c0 : 0;
      a *= k;
      b *= k;
    }
    if (gradingActive) {
      const s = smoothstep(pivot - spread, pivot + spread, L);
      const ws = (1 - s) * (1 - s);
      const wm = 2 * s * (1 - s);
      const wh = s * s;
      const [sh, mid, hi, gl] = wheelVec as [(typeof wheelVec)[0], (typeof wheelVec)[0], (typeof wheelVec)[0], (typeof wheelVec)[0]];
      // Pure black and white stay neutral: tints fade out at the ends of the tonal range.
      const ends = Math.min(1, L * 8) * Math.min(1, (1 - L) * 8);
      const k = Math.max(0, ends);
      a += k * (ws * sh.a + wm * mid.a + wh * hi.a + gl.a);
      b += k * (ws * sh.b + wm * mid.b + wh * hi.b + gl.b);
      L += ws * sh.L + wm * mid.L + wh * hi.L + gl.L;
    }
    fromOklab(info, L, a, b, lab);
    rgb[0] = encodeFast(clamp01(lab[0] as number));
    rgb[1] = encodeFast(clamp01(lab[1] as number));
    rgb[2] = encodeFast(clamp01(lab[2] as number));
  };
}

/** Compiles a colour spec into a program for `space`, adapted to the image's stats. */
export function compileColor(spec: ColorSpec, space: WorkingSpace, stats: ImageStats = DEFAULT_STATS): ColorProgram {
  const tone = toneShaper(spec.tone, space, stats);
  const chroma = chromaStage(spec.chroma, space);
  const curves = spec.curves;
  const master = curves && !isIdentityCurve(curves.rgb) ? curveTable(curves.rgb) : null;
  const channel = curves ? (["red", "green", "blue"] as const).map((c) => (isIdentityCurve(curves[c]) ? null : curveTable(curves[c]))) : [null, null, null];
  const cube = spec.cube && spec.cube.amount > 0 ? spec.cube : null;
  const identityFn = (v: number) => v;
  const curveFns = [0, 1, 2].map((i) => {
    const ch = channel[i] ?? null;
    if (!master && !ch) return null;
    return (v: number) => {
      let x = master ? lookup(master, v) : v;
      if (ch) x = lookup(ch, x);
      return x;
    };
  });
  const usesStats = spec.tone.dehaze !== 0;
  const key = JSON.stringify({ spec: { ...spec, cube: cube ? { id: cubeKey(cube.lut), amount: cube.amount } : null }, space, stats: usesStats ? stats : null });

  if (!chroma && !cube) {
    const shaper = [0, 1, 2].map((i) => {
      const t = tone?.[i] ?? null;
      const cf = curveFns[i] ?? null;
      if (t && cf) return (v: number) => cf(t(v));
      return t ?? cf ?? identityFn;
    }) as ColorProgram["shaper"];
    return { identity: !tone && curveFns.every((f) => !f), separable: true, shaper, mix: null, key };
  }
  const out = new Float64Array(3);
  const mix = (rgb: Float64Array) => {
    if (chroma) chroma(rgb);
    for (let i = 0; i < 3; i++) {
      const f = curveFns[i];
      if (f) rgb[i] = f(rgb[i] as number);
    }
    if (cube) {
      sampleCube(cube.lut, rgb[0] as number, rgb[1] as number, rgb[2] as number, out);
      const k = cube.amount / 100;
      for (let i = 0; i < 3; i++) rgb[i] = clamp01((rgb[i] as number) + k * ((out[i] as number) - (rgb[i] as number)));
    }
  };
  return { identity: false, separable: false, shaper: (tone ?? [identityFn, identityFn, identityFn]) as ColorProgram["shaper"], mix, key };
}

const cubeKeys = new WeakMap<CubeLut, string>();
let cubeCounter = 0;
function cubeKey(lut: CubeLut): string {
  let k = cubeKeys.get(lut);
  if (!k) {
    k = `cube-${++cubeCounter}`;
    cubeKeys.set(lut, k);
  }
  return k;
}

/** The global colour spec of a recipe. */
export function globalColorSpec(recipe: Recipe, cube?: CubeLut | null): ColorSpec {
  return {
    tone: { ...recipe.basic, dehaze: recipe.presence.dehaze },
    chroma: {
      saturation: recipe.presence.saturation,
      vibrance: recipe.presence.vibrance,
      dehaze: recipe.presence.dehaze,
      hsl: recipe.hsl,
      grading: recipe.colorGrading,
    },
    curves: recipe.toneCurve,
    ...(cube && recipe.lut ? { cube: { lut: cube, amount: recipe.lut.amount } } : {}),
  };
}

/** The colour spec of one local adjustment (applied on top of the global result inside its mask). */
export function localColorSpec(adj: Recipe["local"][number]["adjustments"]): ColorSpec {
  const { saturation, vibrance, clarity: _c, ...tone } = adj;
  return { tone, chroma: { saturation, vibrance, dehaze: tone.dehaze } };
}
