import { filtersError } from "../../errors.js";

/** A LUT read from a `.cube` file (Adobe / Resolve format): 3D (size³ RGB, red fastest) or 1D. */
export interface CubeLut {
  kind: "3d" | "1d";
  title: string | null;
  size: number;
  domainMin: [number, number, number];
  domainMax: [number, number, number];
  /** RGB triples: size³ of them (3D) or size (1D). */
  data: Float32Array;
}

export const MAX_CUBE_3D = 96;
export const MAX_CUBE_1D = 65536;

/** Parses `.cube` text; a file that cannot be read throws FILTERS_INVALID_LUT naming the line. */
export function parseCube(text: string): CubeLut {
  let title: string | null = null;
  let kind: "3d" | "1d" | null = null;
  let size = 0;
  let domainMin: [number, number, number] = [0, 0, 0];
  let domainMax: [number, number, number] = [1, 1, 1];
  let data: Float32Array | null = null;
  let count = 0;
  const lines = text.split(/\r?\n/);
  const bad = (line: number, why: string) => filtersError("FILTERS_INVALID_LUT", `.cube line ${line}: ${why}`);
  const triple = (parts: string[], line: number): [number, number, number] => {
    if (parts.length !== 3) throw bad(line, `expected three numbers, got "${parts.join(" ").slice(0, 60)}"`);
    const v = parts.map(Number);
    if (v.some((n) => !Number.isFinite(n))) throw bad(line, `not a number in "${parts.join(" ").slice(0, 60)}"`);
    return v as [number, number, number];
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (!raw || raw.startsWith("#")) continue;
    const lineNo = i + 1;
    const [head, ...rest] = raw.split(/\s+/);
    const key = (head as string).toUpperCase();
    if (key === "TITLE") {
      title = raw.slice(5).trim().replace(/^"|"$/g, "").slice(0, 200);
      continue;
    }
    if (key === "LUT_3D_SIZE" || key === "LUT_1D_SIZE") {
      if (kind) throw bad(lineNo, "a file may declare one LUT size");
      kind = key === "LUT_3D_SIZE" ? "3d" : "1d";
      size = Number(rest[0]);
      const max = kind === "3d" ? MAX_CUBE_3D : MAX_CUBE_1D;
      if (!Number.isInteger(size) || size < 2 || size > max) throw bad(lineNo, `${key} must be a whole number from 2 to ${max} (got ${rest[0]})`);
      data = new Float32Array((kind === "3d" ? size * size * size : size) * 3);
      continue;
    }
    if (key === "DOMAIN_MIN") {
      domainMin = triple(rest, lineNo);
      continue;
    }
    if (key === "DOMAIN_MAX") {
      domainMax = triple(rest, lineNo);
      continue;
    }
    if (key === "LUT_3D_INPUT_RANGE" || key === "LUT_1D_INPUT_RANGE") {
      const [lo, hi] = rest.map(Number);
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw bad(lineNo, `${key} needs two numbers`);
      domainMin = [lo as number, lo as number, lo as number];
      domainMax = [hi as number, hi as number, hi as number];
      continue;
    }
    if (/^[A-Z_]+$/.test(key)) continue; // other keywords (LUT_IN_VIDEO_RANGE…) do not change the data
    if (!data) throw bad(lineNo, "data before LUT_3D_SIZE or LUT_1D_SIZE");
    if (count * 3 >= data.length) throw bad(lineNo, `more than the ${data.length / 3} entries the size declares`);
    const v = triple([head as string, ...rest], lineNo);
    data.set(v, count * 3);
    count++;
  }
  if (!kind || !data) throw filtersError("FILTERS_INVALID_LUT", ".cube file has no LUT_3D_SIZE or LUT_1D_SIZE line");
  if (count * 3 !== data.length) throw filtersError("FILTERS_INVALID_LUT", `.cube file declares ${data.length / 3} entries but has ${count}`);
  for (let c = 0; c < 3; c++) {
    if (!((domainMax[c] as number) > (domainMin[c] as number)))
      throw filtersError("FILTERS_INVALID_LUT", ".cube DOMAIN_MAX must be above DOMAIN_MIN in every channel");
  }
  return { kind, title, size, domainMin, domainMax, data };
}

/** Writes a LUT back as `.cube` text (exporting presets that use one). */
export function formatCube(lut: CubeLut): string {
  const lines = [`TITLE "${(lut.title ?? "Crealia LUT").replaceAll('"', "'")}"`, `${lut.kind === "3d" ? "LUT_3D_SIZE" : "LUT_1D_SIZE"} ${lut.size}`];
  lines.push(`DOMAIN_MIN ${lut.domainMin.join(" ")}`, `DOMAIN_MAX ${lut.domainMax.join(" ")}`);
  for (let i = 0; i < lut.data.length; i += 3) lines.push(`${fmt(lut.data[i])} ${fmt(lut.data[i + 1])} ${fmt(lut.data[i + 2])}`);
  return `${lines.join("\n")}\n`;
}

const fmt = (n: number | undefined) => Number((n ?? 0).toFixed(6)).toString();

/** An identity 3D LUT of `size` (tests, and a neutral starting point for LUT authors). */
export function identityCube(size: number): CubeLut {
  const data = new Float32Array(size * size * size * 3);
  let k = 0;
  for (let b = 0; b < size; b++)
    for (let g = 0; g < size; g++) for (let r = 0; r < size; r++) data.set([r / (size - 1), g / (size - 1), b / (size - 1)], 3 * k++);
  return { kind: "3d", title: "identity", size, domainMin: [0, 0, 0], domainMax: [1, 1, 1], data };
}

/** Samples a LUT at an RGB colour (tetrahedral for 3D, linear for 1D), into `out`. */
export function sampleCube(lut: CubeLut, r: number, g: number, b: number, out: Float64Array) {
  const n = lut.size;
  const scale = (v: number, c: number) => {
    const lo = lut.domainMin[c] as number;
    const t = (v - lo) / ((lut.domainMax[c] as number) - lo);
    return Math.min(1, Math.max(0, t)) * (n - 1);
  };
  const d = lut.data;
  if (lut.kind === "1d") {
    const vals = [r, g, b];
    for (let c = 0; c < 3; c++) {
      const x = scale(vals[c] as number, c);
      const i = Math.min(n - 2, Math.floor(x));
      const f = x - i;
      out[c] = (d[i * 3 + c] as number) * (1 - f) + (d[(i + 1) * 3 + c] as number) * f;
    }
    return;
  }
  const x = scale(r, 0);
  const y = scale(g, 1);
  const z = scale(b, 2);
  const ix = Math.min(n - 2, Math.floor(x));
  const iy = Math.min(n - 2, Math.floor(y));
  const iz = Math.min(n - 2, Math.floor(z));
  tetrahedral(d, n, ix, iy, iz, x - ix, y - iy, z - iz, out);
}

/**
 * Tetrahedral interpolation in a size³ RGB grid (red fastest): four lattice reads per sample,
 * exact for linear functions (so an identity LUT is an identity).
 */
export function tetrahedral(d: Float32Array, n: number, ix: number, iy: number, iz: number, fr: number, fg: number, fb: number, out: Float64Array) {
  tetrahedralAt(d, n, (ix + iy * n + iz * n * n) * 3, fr, fg, fb, out);
}

/** The same, from the offset `o` of the cell's lower corner in `d` (callers that precompute offsets). */
export function tetrahedralAt(d: Float32Array, n: number, o: number, fr: number, fg: number, fb: number, out: Float64Array) {
  const sr = 3;
  const sg = 3 * n;
  const sb = 3 * n * n;
  let a: number;
  let b: number;
  let w1: number;
  let w2: number;
  let w3: number;
  if (fr > fg) {
    if (fg > fb) {
      a = o + sr;
      b = o + sr + sg;
      w1 = fr;
      w2 = fg;
      w3 = fb;
    } else if (fr > fb) {
      a = o + sr;
      b = o + sr + sb;
      w1 = fr;
      w2 = fb;
      w3 = fg;
    } else {
      a = o + sb;
      b = o + sr + sb;
      w1 = fb;
      w2 = fr;
      w3 = fg;
    }
  } else if (fb > fg) {
    a = o + sb;
    b = o + sg + sb;
    w1 = fb;
    w2 = fg;
    w3 = fr;
  } else if (fb > fr) {
    a = o + sg;
    b = o + sg + sb;
    w1 = fg;
    w2 = fb;
    w3 = fr;
  } else {
    a = o + sg;
    b = o + sr + sg;
    w1 = fg;
    w2 = fr;
    w3 = fb;
  }
  const c = o + sr + sg + sb;
  const w0 = 1 - w1;
  const wa = w1 - w2;
  const wb = w2 - w3;
  for (let k = 0; k < 3; k++) {
    out[k] = w0 * (d[o + k] as number) + wa * (d[a + k] as number) + wb * (d[b + k] as number) + w3 * (d[c + k] as number);
  }
}
