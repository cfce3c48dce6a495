/**
 * Colour spaces the renderer works in. Pixels are kept encoded with the sRGB transfer curve
 * (Display P3 uses the same curve), in the primaries of the output: sRGB, or Display P3 when a
 * wide-gamut export is asked for. Operations that need linear light decode first.
 */

export type WorkingSpace = "srgb" | "p3";
export const WORKING_SPACES: readonly WorkingSpace[] = ["srgb", "p3"];

type M3 = [number, number, number, number, number, number, number, number, number];

export function mul3(a: M3, b: M3): M3 {
  const r = new Array(9).fill(0) as M3;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[i * 3 + j] = (r[i * 3 + j] as number) + (a[i * 3 + k] as number) * (b[k * 3 + j] as number);
  return r;
}

export function inv3(m: M3): M3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

const SRGB_TO_XYZ: M3 = [0.4123908, 0.35758434, 0.18048079, 0.21263901, 0.71516868, 0.07219232, 0.01933082, 0.11919478, 0.95053215];
const P3_TO_XYZ: M3 = [0.48657095, 0.26566769, 0.19821729, 0.22897456, 0.69173852, 0.07928691, 0.0, 0.04511338, 1.04394437];
/** Linear sRGB to OKLab's LMS (Björn Ottosson, 2020). */
const SRGB_TO_LMS: M3 = [0.4122214708, 0.5363325363, 0.0514459929, 0.2119034982, 0.6806995451, 0.1073969566, 0.0883024619, 0.2817188376, 0.6299787005];
const P3_TO_SRGB = mul3(inv3(SRGB_TO_XYZ), P3_TO_XYZ);

export interface SpaceInfo {
  /** Linear RGB → LMS (OKLab's cone space), and back. */
  toLms: M3;
  fromLms: M3;
  /** Relative luminance weights of the primaries. */
  luma: [number, number, number];
}

export const SPACES: Record<WorkingSpace, SpaceInfo> = {
  srgb: { toLms: SRGB_TO_LMS, fromLms: inv3(SRGB_TO_LMS), luma: [SRGB_TO_XYZ[3], SRGB_TO_XYZ[4], SRGB_TO_XYZ[5]] },
  p3: {
    toLms: mul3(SRGB_TO_LMS, P3_TO_SRGB),
    fromLms: inv3(mul3(SRGB_TO_LMS, P3_TO_SRGB)),
    luma: [P3_TO_XYZ[3], P3_TO_XYZ[4], P3_TO_XYZ[5]],
  },
};

/** sRGB transfer: encoded (0..1) to linear light. */
export function decode(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/** sRGB transfer: linear light to encoded; values above 1 continue the curve (clipped later). */
export function encode(v: number): number {
  return v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055;
}

const TABLE = 4096;
const DECODE_TABLE = new Float64Array(TABLE + 1);
/** Indexed by sqrt(linear), so the dark end (where the curve is steep) gets most entries. */
const ENCODE_TABLE = new Float64Array(TABLE + 1);
for (let i = 0; i <= TABLE; i++) {
  DECODE_TABLE[i] = decode(i / TABLE);
  const s = i / TABLE;
  ENCODE_TABLE[i] = encode(s * s);
}

/** `decode` by table with linear interpolation (error < 1e-6): for per-pixel and LUT-baking loops. */
export function decodeFast(v: number): number {
  if (v <= 0) return 0;
  if (v >= 1) return v === 1 ? 1 : decode(v);
  const x = v * TABLE;
  const i = x | 0;
  const a = DECODE_TABLE[i] as number;
  return a + ((DECODE_TABLE[i + 1] as number) - a) * (x - i);
}

/** `encode` by table with linear interpolation. */
export function encodeFast(v: number): number {
  if (v <= 0) return 0;
  if (v >= 1) return v === 1 ? 1 : encode(v);
  const x = Math.sqrt(v) * TABLE;
  const i = x | 0;
  const a = ENCODE_TABLE[i] as number;
  return a + ((ENCODE_TABLE[i + 1] as number) - a) * (x - i);
}

/** Linear RGB (in `space`) to OKLab, into `out` [L, a, b]. */
export function toOklab(info: SpaceInfo, r: number, g: number, b: number, out: Float64Array) {
  const m = info.toLms;
  const l = Math.cbrt(m[0] * r + m[1] * g + m[2] * b);
  const mm = Math.cbrt(m[3] * r + m[4] * g + m[5] * b);
  const s = Math.cbrt(m[6] * r + m[7] * g + m[8] * b);
  out[0] = 0.2104542553 * l + 0.793617785 * mm - 0.0040720468 * s;
  out[1] = 1.9779984951 * l - 2.428592205 * mm + 0.4505937099 * s;
  out[2] = 0.0259040371 * l + 0.7827717662 * mm - 0.808675766 * s;
}

/** OKLab to linear RGB (in `space`), into `out`. */
export function fromOklab(info: SpaceInfo, L: number, a: number, b: number, out: Float64Array) {
  const l_ = L + 0.3963377774 * a + 0.2158037573 * b;
  const m_ = L - 0.1055613458 * a - 0.0638541728 * b;
  const s_ = L - 0.0894841775 * a - 1.291485548 * b;
  const l = l_ * l_ * l_;
  const m = m_ * m_ * m_;
  const s = s_ * s_ * s_;
  const f = info.fromLms;
  out[0] = f[0] * l + f[1] * m + f[2] * s;
  out[1] = f[3] * l + f[4] * m + f[5] * s;
  out[2] = f[6] * l + f[7] * m + f[8] * s;
}

/** OKLab hue angle (radians) of an encoded sRGB colour: where the HSL bands and grading wheels point. */
export function srgbHue(r: number, g: number, b: number): number {
  const o = new Float64Array(3);
  toOklab(SPACES.srgb, decode(r), decode(g), decode(b), o);
  return Math.atan2(o[2] as number, o[1] as number);
}

/** HSV hue (degrees) to an encoded sRGB colour at full saturation and value. */
export function hueToSrgb(deg: number): [number, number, number] {
  const h = (((deg % 360) + 360) % 360) / 60;
  const x = 1 - Math.abs((h % 2) - 1);
  const table: [number, number, number][] = [
    [1, x, 0],
    [x, 1, 0],
    [0, 1, x],
    [0, x, 1],
    [x, 0, 1],
    [1, 0, x],
  ];
  return table[Math.floor(h) % 6] as [number, number, number];
}
