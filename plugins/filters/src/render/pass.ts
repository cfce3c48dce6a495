/**
 * The pass over the pixels. With nothing but colour work it is a LUT over the buffer
 * (`applyLut`); otherwise a few tight loops over the same rows, one per kind of work. Everything that depends on the neighbourhood of a pixel (blurs for local contrast and
 * sharpening, the median and colour blur for noise reduction, the vignette's falloff, the grain
 * field, masks) is prepared beforehand as a per-pixel map (`maps.ts`) and kept with the stage,
 * so a slider move only changes the amounts this loop multiplies by.
 *
 * Order per pixel: noise reduction and detail (local contrast, texture, sharpening) adjust the
 * input; the baked colour LUT develops it; local adjustments blend their own LUTs in by mask
 * weight; then vignette and grain.
 */
import { applyLut, type BakedLut, lookupPixel, type Pixels } from "./color/lut.js";
import { decode, encodeFast } from "./color/space.js";
import type { Affine } from "./geometry.js";
import { type MaskSampler, positionWeight } from "./masks.js";

export interface LocalPass {
  lut: BakedLut;
  /** 0..1 */
  amount: number;
  mask: MaskSampler;
  /** Local clarity, -1..1 (needs `detail.clarity`'s map). */
  clarity: number;
}

/**
 * Detail: the input's 8-bit luma and blurs of it at three radii; a table per use maps
 * `luma << 8 | blur` to the log-ratio the amount multiplies (see maps.ts).
 */
export interface DetailSpec {
  luma: Uint8Array;
  clarity: { blur: Uint8Array; amount: number; table: Float32Array } | null;
  texture: { blur: Uint8Array; amount: number; table: Float32Array } | null;
  sharpen: { blur: Uint8Array; amount: number; table: Float32Array } | null;
}

export interface PassSpec {
  width: number;
  height: number;
  src: Pixels;
  inMax: number;
  dst: Pixels;
  outMax: number;
  lut: BakedLut;
  /** Output pixel → photo pixel, for position masks. */
  toSource: Affine;
  detail?: DetailSpec | null;
  /** Noise reduction: amounts 0..1, `smooth` (median of the input) and `colour` (blurred input), both full size. */
  noise?: { luminance: number; color: number; detail: number; smooth: Pixels | null; colour: Pixels | null } | null;
  locals: LocalPass[];
  /** Per output pixel: the multiplier of encoded values (darkening) or the fraction toward white (lightening). */
  vignette?: { map: Float32Array; lighten: boolean } | null;
  /** Per output pixel grain noise (-1..1) and its strength in output units. */
  grain?: { field: Float32Array; strength: number } | null;
}

/** Whether a pass needs the general loop (anything beyond the colour LUT). */
export function needsGeneralPass(spec: PassSpec): boolean {
  return !!(spec.detail || spec.noise || spec.locals.length || spec.vignette || spec.grain);
}

const LR = 0.2126;
const LG = 0.7152;
const LB = 0.0722;
/** Detail gains are limited to e^±1.4 and looked up in a table of `gain^(1/2.2)` (applied to encoded values). */
const GAIN_LIMIT = 1.4;
const GAIN_STEPS = 4096;
const GAIN_TABLE = new Float32Array(GAIN_STEPS + 1);
for (let i = 0; i <= GAIN_STEPS; i++) GAIN_TABLE[i] = Math.exp(((i / GAIN_STEPS) * 2 - 1) * GAIN_LIMIT * (1 / 2.2));
const NR_STEPS = 1024;
const NR_TABLE = new Float32Array(NR_STEPS + 1);
for (let i = 0; i <= NR_STEPS; i++) NR_TABLE[i] = Math.exp(-(((i / NR_STEPS) * 3) ** 2));

/**
 * Runs rows [rowFrom, rowTo) of a pass: a loop per kind of work, each tight and specialised
 * (V8 keeps simple loops fast), over the same rows while they are in cache.
 */
export function runPass(spec: PassSpec, rowFrom = 0, rowTo = spec.height) {
  const { width: W, src, dst, lut } = spec;
  const from = rowFrom * W;
  const to = rowTo * W;
  if (spec.noise || spec.detail) {
    // The prepared input of these rows only, then the LUT from it into the same rows of dst.
    const n = (to - from) * 3;
    const buf = spec.inMax === 65535 ? new Uint16Array(n) : new Uint8Array(n);
    preparePixels(spec, buf, from, to);
    applyLut(lut, buf, dst.subarray(from * 3, to * 3), 0, to - from);
  } else {
    applyLut(lut, src, dst, from, to);
  }
  if (spec.locals.length) blendLocals(spec, rowFrom, rowTo);
  if (spec.vignette) vignette(spec, spec.vignette, from, to);
  if (spec.grain) addGrain(spec, spec.grain, from, to);
}

/** Noise reduction and detail on the input pixels [from, to), into `buf` (from its start). */
function preparePixels(spec: PassSpec, buf: Pixels, from: number, to: number) {
  const { src, inMax } = spec;
  const inInv = 1 / inMax;
  const noise = spec.noise ?? null;
  const smooth = noise && noise.luminance > 0 ? noise.smooth : null;
  const colour = noise && noise.color > 0 ? noise.colour : null;
  const nrLum = noise?.luminance ?? 0;
  const nrCol = noise?.color ?? 0;
  // Differences larger than tau are edges and keep their detail (higher `detail`, smaller tau).
  const nrScale = noise ? NR_STEPS / 3 / (0.012 + 0.1 * (1 - noise.detail)) : 0;
  const det = spec.detail ?? null;
  const localClarity = spec.locals.some((l) => l.clarity !== 0) ? localClarityWeights(spec, from, to) : null;
  const luma = det?.luma ?? null;
  const cC = det?.clarity && (det.clarity.amount !== 0 || localClarity) ? det.clarity : null;
  const cT = det?.texture && det.texture.amount !== 0 ? det.texture : null;
  const cS = det?.sharpen && det.sharpen.amount !== 0 ? det.sharpen : null;
  const bC = cC?.blur ?? null;
  const bT = cT?.blur ?? null;
  const bS = cS?.blur ?? null;
  const tC = cC?.table ?? null;
  const tT = cT?.table ?? null;
  const tS = cS?.table ?? null;
  const kC = cC?.amount ?? 0;
  const kT = cT?.amount ?? 0;
  const kS = cS?.amount ?? 0;
  const gainMid = GAIN_STEPS / 2;
  const gainScale = GAIN_STEPS / 2 / GAIN_LIMIT;
  for (let p = from; p < to; p++) {
    const i = p * 3;
    let fr = (src[i] as number) * inInv;
    let fg = (src[i + 1] as number) * inInv;
    let fb = (src[i + 2] as number) * inInv;
    if (smooth) {
      const sr = (smooth[i] as number) * inInv;
      const sg = (smooth[i + 1] as number) * inInv;
      const sb = (smooth[i + 2] as number) * inInv;
      let d = (LR * (fr - sr) + LG * (fg - sg) + LB * (fb - sb)) * nrScale;
      if (d < 0) d = -d;
      const w = d >= NR_STEPS ? 0 : nrLum * (NR_TABLE[d | 0] as number);
      fr += w * (sr - fr);
      fg += w * (sg - fg);
      fb += w * (sb - fb);
    }
    if (colour) {
      const cr = (colour[i] as number) * inInv;
      const cg = (colour[i + 1] as number) * inInv;
      const cb = (colour[i + 2] as number) * inInv;
      const dy = LR * (fr - cr) + LG * (fg - cg) + LB * (fb - cb);
      // Keep the pixel's luminance, take the chroma of the blurred colour.
      fr += nrCol * (cr + dy - fr);
      fg += nrCol * (cg + dy - fg);
      fb += nrCol * (cb + dy - fb);
    }
    let G = 0;
    if (luma) {
      const y = (luma[p] as number) << 8;
      if (tC && bC) G += (localClarity ? kC + (localClarity[p - from] as number) : kC) * (tC[y | (bC[p] as number)] as number);
      if (tT && bT) G += kT * (tT[y | (bT[p] as number)] as number);
      if (tS && bS) G += kS * (tS[y | (bS[p] as number)] as number);
    }
    if (G !== 0) {
      let gi = G * gainScale + gainMid;
      gi = gi < 0 ? 0 : Math.min(gi, GAIN_STEPS);
      const m = GAIN_TABLE[gi | 0] as number;
      fr *= m;
      fg *= m;
      fb *= m;
    }
    const o = i - from * 3;
    buf[o] = (fr <= 0 ? 0 : Math.min(fr, 1)) * inMax + 0.5;
    buf[o + 1] = (fg <= 0 ? 0 : Math.min(fg, 1)) * inMax + 0.5;
    buf[o + 2] = (fb <= 0 ? 0 : Math.min(fb, 1)) * inMax + 0.5;
  }
}

/** Mask weight of a local adjustment at each pixel of [from, to), times its amount. */
function maskWeights(spec: PassSpec, l: LocalPass, from: number, to: number): Float32Array {
  const W = spec.width;
  const out = new Float32Array(to - from);
  const m = l.mask;
  if (m.kind === "bitmap") {
    for (let p = from; p < to; p++) out[p - from] = ((m.data[p] as number) / 255) * l.amount;
    return out;
  }
  const t = spec.toSource;
  const weight = positionWeight(m.spec);
  for (let p = from; p < to; ) {
    const y = (p / W) | 0;
    const x0 = p - y * W;
    const end = Math.min(to, (y + 1) * W);
    let u = t.a * x0 + t.b * y + t.c;
    let v = t.d * x0 + t.e * y + t.f;
    for (; p < end; p++, u += t.a, v += t.d) out[p - from] = weight(u, v) * l.amount;
  }
  return out;
}

function localClarityWeights(spec: PassSpec, from: number, to: number): Float32Array {
  const sum = new Float32Array(to - from);
  for (const l of spec.locals) {
    if (l.clarity === 0) continue;
    const w = maskWeights(spec, l, from, to);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (w[i] as number) * l.clarity;
  }
  return sum;
}

/** Each local adjustment's LUT over the developed pixels, blended in by its mask. */
function blendLocals(spec: PassSpec, rowFrom: number, rowTo: number) {
  const { dst, width: W, outMax } = spec;
  const from = rowFrom * W;
  const to = rowTo * W;
  const tmp = new Float64Array(3);
  for (const l of spec.locals) {
    if (l.lut.kind === "identity") continue;
    const w = maskWeights(spec, l, from, to);
    for (let p = from; p < to; p++) {
      const k = w[p - from] as number;
      if (k <= 0) continue;
      const i = p * 3;
      const r = dst[i] as number;
      const g = dst[i + 1] as number;
      const b = dst[i + 2] as number;
      lookupPixel(l.lut, r, g, b, tmp);
      let o = r + k * ((tmp[0] as number) - r) + 0.5;
      dst[i] = o < 0 ? 0 : Math.min(o, outMax);
      o = g + k * ((tmp[1] as number) - g) + 0.5;
      dst[i + 1] = o < 0 ? 0 : Math.min(o, outMax);
      o = b + k * ((tmp[2] as number) - b) + 0.5;
      dst[i + 2] = o < 0 ? 0 : Math.min(o, outMax);
    }
  }
}

function vignette(spec: PassSpec, v: { map: Float32Array; lighten: boolean }, from: number, to: number) {
  const { dst, outMax } = spec;
  const map = v.map;
  if (!v.lighten) {
    for (let p = from; p < to; p++) {
      const m = map[p] as number;
      if (m === 1) continue;
      const i = p * 3;
      dst[i] = (dst[i] as number) * m + 0.5;
      dst[i + 1] = (dst[i + 1] as number) * m + 0.5;
      dst[i + 2] = (dst[i + 2] as number) * m + 0.5;
    }
    return;
  }
  // Lightening moves linear light toward white: decode and encode by table.
  const dec = new Float32Array(outMax + 1);
  for (let i = 0; i <= outMax; i++) dec[i] = decode(i / outMax);
  for (let p = from; p < to; p++) {
    const f = map[p] as number;
    if (f <= 0) continue;
    const i = p * 3;
    for (let c = 0; c < 3; c++) {
      const lin = dec[dst[i + c] as number] as number;
      const o = encodeFast(lin + (1 - lin) * f) * outMax + 0.5;
      dst[i + c] = Math.min(o, outMax);
    }
  }
}

function addGrain(spec: PassSpec, g: { field: Float32Array; strength: number }, from: number, to: number) {
  const { dst, outMax } = spec;
  const field = g.field;
  const s = g.strength;
  const inv = 1 / outMax;
  for (let p = from; p < to; p++) {
    const i = p * 3;
    const r = dst[i] as number;
    const gg = dst[i + 1] as number;
    const b = dst[i + 2] as number;
    const lum = (LR * r + LG * gg + LB * b) * inv;
    const amt = (field[p] as number) * s * (0.35 + 2.6 * lum * (1 - lum));
    let o = r + amt + 0.5;
    dst[i] = o < 0 ? 0 : Math.min(o, outMax);
    o = gg + amt + 0.5;
    dst[i + 1] = o < 0 ? 0 : Math.min(o, outMax);
    o = b + amt + 0.5;
    dst[i + 2] = o < 0 ? 0 : Math.min(o, outMax);
  }
}
