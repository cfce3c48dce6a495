/**
 * Bakes a colour program into lookup tables and runs them over raw pixels. The per-channel shaper
 * is folded into the tables that index the 3D grid, so a pixel costs three table reads and one
 * tetrahedral interpolation whatever the recipe holds.
 */
import { tetrahedralAt } from "./cube.js";
import type { ColorProgram } from "./program.js";

export type Pixels = Uint8Array | Uint16Array;

export type BakedLut =
  | { kind: "identity"; inMax: number; outMax: number }
  | { kind: "1d"; inMax: number; outMax: number; tables: [Uint16Array, Uint16Array, Uint16Array] }
  | {
      kind: "3d";
      inMax: number;
      outMax: number;
      n: number;
      /** Per input value: the lattice offset along that channel's axis (already times the stride). */
      idx: [Int32Array, Int32Array, Int32Array];
      frac: [Float32Array, Float32Array, Float32Array];
      /** n³ RGB nodes, red fastest, in output units (0..outMax). */
      lattice: Float32Array;
      /** The same in fixed point (output units × 256 for 8-bit output, × 1 for 16-bit) for the fast loop. */
      fixed: Int32Array;
      /** Fractions in 1/256ths (0..256) for the fast loop. */
      fracFixed: [Int32Array, Int32Array, Int32Array];
      /** log2 of the fixed point's total scale (weights × lattice), for the final shift. */
      shift: number;
    };

/** Grid size for previews and for exports: 33³ is the usual LUT size; 65³ halves the interpolation error again. */
export const GRID_PREVIEW = 33;
export const GRID_EXPORT = 65;

/** Bakes `program` for pixels of `inMax` (255 or 65535) in and `outMax` out. */
export function bakeLut(program: ColorProgram, inMax: number, outMax: number, n = GRID_PREVIEW): BakedLut {
  if (program.identity && inMax === outMax) return { kind: "identity", inMax, outMax };
  const size = inMax + 1;
  if (program.separable) {
    const tables = program.shaper.map((f) => {
      const t = new Uint16Array(new SharedArrayBuffer(size * 2));
      for (let v = 0; v < size; v++) t[v] = Math.round(f(v / inMax) * outMax);
      return t;
    }) as [Uint16Array, Uint16Array, Uint16Array];
    return { kind: "1d", inMax, outMax, tables };
  }
  const strides = [3, 3 * n, 3 * n * n];
  // Shared memory: render threads use the tables in place.
  const idx = [0, 1, 2].map(() => new Int32Array(new SharedArrayBuffer(size * 4))) as [Int32Array, Int32Array, Int32Array];
  const frac = [0, 1, 2].map(() => new Float32Array(new SharedArrayBuffer(size * 4))) as [Float32Array, Float32Array, Float32Array];
  for (let c = 0; c < 3; c++) {
    const f = program.shaper[c] as (v: number) => number;
    const stride = strides[c] as number;
    // Distinct input values often shape to few distinct values: evaluate each once.
    for (let v = 0; v < size; v++) {
      const x = Math.min(1, Math.max(0, f(v / inMax))) * (n - 1);
      const i = Math.min(n - 2, Math.floor(x));
      (idx[c] as Int32Array)[v] = i * stride;
      (frac[c] as Float32Array)[v] = x - i;
    }
  }
  const lattice = new Float32Array(new SharedArrayBuffer(n * n * n * 3 * 4));
  const rgb = new Float64Array(3);
  const mix = program.mix as (rgb: Float64Array) => void;
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < n; g++) {
      for (let r = 0; r < n; r++) {
        rgb[0] = r / (n - 1);
        rgb[1] = g / (n - 1);
        rgb[2] = b / (n - 1);
        mix(rgb);
        lattice[k++] = (rgb[0] as number) * outMax;
        lattice[k++] = (rgb[1] as number) * outMax;
        lattice[k++] = (rgb[2] as number) * outMax;
      }
    }
  }
  // Fixed point: weights in 1/256ths; 8-bit output keeps 8 more bits in the lattice.
  const latticeScale = outMax <= 255 ? 256 : 1;
  const fixed = new Int32Array(new SharedArrayBuffer(lattice.length * 4));
  for (let i = 0; i < lattice.length; i++) fixed[i] = Math.round((lattice[i] as number) * latticeScale);
  const fracFixed = frac.map((f) => {
    const out = new Int32Array(new SharedArrayBuffer(f.length * 4));
    for (let i = 0; i < f.length; i++) out[i] = Math.round((f[i] as number) * 256);
    return out;
  }) as [Int32Array, Int32Array, Int32Array];
  return { kind: "3d", inMax, outMax, n, idx, frac, lattice, fixed, fracFixed, shift: latticeScale === 256 ? 16 : 8 };
}

/** Runs a baked LUT over pixels [from, to) (pixel indices, 3 channels each) of `src` into `dst`. */
export function applyLut(lut: BakedLut, src: Pixels, dst: Pixels, from = 0, to = src.length / 3) {
  if (lut.kind === "identity") {
    dst.set(src.subarray(from * 3, to * 3), from * 3);
    return;
  }
  if (lut.kind === "1d") {
    const [t0, t1, t2] = lut.tables;
    for (let i = from * 3, end = to * 3; i < end; i += 3) {
      dst[i] = t0[src[i] as number] as number;
      dst[i + 1] = t1[src[i + 1] as number] as number;
      dst[i + 2] = t2[src[i + 2] as number] as number;
    }
    return;
  }
  // Fixed-point tetrahedral interpolation, inlined (the hot loop of every render; `tetrahedralAt` is
  // the float version): integer weights (1/256ths) times a fixed-point
  // lattice, one shift at the end. About a fifth faster than floats in V8, within half a level.
  const { idx, fracFixed, fixed: d, n, shift } = lut;
  const [ir, ig, ib] = idx;
  const [fr0, fg0, fb0] = fracFixed;
  const sr = 3;
  const sg = 3 * n;
  const sb = 3 * n * n;
  const half = 1 << (shift - 1);
  for (let i = from * 3, end = to * 3; i < end; i += 3) {
    const r = src[i] as number;
    const g = src[i + 1] as number;
    const b = src[i + 2] as number;
    const o = (ir[r] as number) + (ig[g] as number) + (ib[b] as number);
    const fr = fr0[r] as number;
    const fg = fg0[g] as number;
    const fb = fb0[b] as number;
    let a: number;
    let m: number;
    let w1: number;
    let w2: number;
    let w3: number;
    if (fr > fg) {
      if (fg > fb) {
        a = o + sr;
        m = o + sr + sg;
        w1 = fr;
        w2 = fg;
        w3 = fb;
      } else if (fr > fb) {
        a = o + sr;
        m = o + sr + sb;
        w1 = fr;
        w2 = fb;
        w3 = fg;
      } else {
        a = o + sb;
        m = o + sr + sb;
        w1 = fb;
        w2 = fr;
        w3 = fg;
      }
    } else if (fb > fg) {
      a = o + sb;
      m = o + sg + sb;
      w1 = fb;
      w2 = fg;
      w3 = fr;
    } else if (fb > fr) {
      a = o + sg;
      m = o + sg + sb;
      w1 = fg;
      w2 = fb;
      w3 = fr;
    } else {
      a = o + sg;
      m = o + sr + sg;
      w1 = fg;
      w2 = fr;
      w3 = fb;
    }
    const c = o + sr + sg + sb;
    const w0 = 256 - w1;
    const wa = w1 - w2;
    const wb = w2 - w3;
    dst[i] = (w0 * (d[o] as number) + wa * (d[a] as number) + wb * (d[m] as number) + w3 * (d[c] as number) + half) >> shift;
    dst[i + 1] = (w0 * (d[o + 1] as number) + wa * (d[a + 1] as number) + wb * (d[m + 1] as number) + w3 * (d[c + 1] as number) + half) >> shift;
    dst[i + 2] = (w0 * (d[o + 2] as number) + wa * (d[a + 2] as number) + wb * (d[m + 2] as number) + w3 * (d[c + 2] as number) + half) >> shift;
  }
}

/** One pixel through a baked LUT, into `out` (output units, unrounded): for the general pass. */
export function lookupPixel(lut: BakedLut, r: number, g: number, b: number, out: Float64Array) {
  if (lut.kind === "identity") {
    const k = lut.outMax / lut.inMax;
    out[0] = r * k;
    out[1] = g * k;
    out[2] = b * k;
    return;
  }
  if (lut.kind === "1d") {
    out[0] = lut.tables[0][r] as number;
    out[1] = lut.tables[1][g] as number;
    out[2] = lut.tables[2][b] as number;
    return;
  }
  const o = (lut.idx[0][r] as number) + (lut.idx[1][g] as number) + (lut.idx[2][b] as number);
  tetrahedralAt(lut.lattice, lut.n, o, lut.frac[0][r] as number, lut.frac[1][g] as number, lut.frac[2][b] as number, out);
}
