import type { CurvePoint } from "../../recipe/schema.js";

export const CURVE_TABLE_SIZE = 4096;

/**
 * A tone curve through control points as a lookup table (`CURVE_TABLE_SIZE + 1` entries over
 * 0..1), interpolated with a monotone cubic (Fritsch–Carlson), so a curve never overshoots
 * between points and an increasing set of points gives an increasing curve.
 */
export function curveTable(points: readonly CurvePoint[]): Float64Array {
  const n = points.length;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const d = new Array<number>(n - 1);
  for (let i = 0; i < n - 1; i++) d[i] = ((ys[i + 1] as number) - (ys[i] as number)) / ((xs[i + 1] as number) - (xs[i] as number));
  const m = new Array<number>(n);
  m[0] = d[0] as number;
  m[n - 1] = d[n - 2] as number;
  for (let i = 1; i < n - 1; i++) {
    const a = d[i - 1] as number;
    const b = d[i] as number;
    m[i] = a * b <= 0 ? 0 : (a + b) / 2;
  }
  for (let i = 0; i < n - 1; i++) {
    const di = d[i] as number;
    if (di === 0) {
      m[i] = 0;
      m[i + 1] = 0;
      continue;
    }
    const a = (m[i] as number) / di;
    const b = (m[i + 1] as number) / di;
    const s = a * a + b * b;
    if (s > 9) {
      const t = 3 / Math.sqrt(s);
      m[i] = t * a * di;
      m[i + 1] = t * b * di;
    }
  }
  const table = new Float64Array(CURVE_TABLE_SIZE + 1);
  let seg = 0;
  for (let k = 0; k <= CURVE_TABLE_SIZE; k++) {
    const x = k / CURVE_TABLE_SIZE;
    while (seg < n - 2 && x > (xs[seg + 1] as number)) seg++;
    const x0 = xs[seg] as number;
    const h = (xs[seg + 1] as number) - x0;
    const t = (x - x0) / h;
    const t2 = t * t;
    const t3 = t2 * t;
    const y =
      (2 * t3 - 3 * t2 + 1) * (ys[seg] as number) +
      (t3 - 2 * t2 + t) * h * (m[seg] as number) +
      (-2 * t3 + 3 * t2) * (ys[seg + 1] as number) +
      (t3 - t2) * h * (m[seg + 1] as number);
    table[k] = Math.min(1, Math.max(0, y));
  }
  return table;
}

/** Reads a curve table at v (0..1), linearly interpolated. */
export function lookup(table: Float64Array, v: number): number {
  if (v <= 0) return table[0] as number;
  if (v >= 1) return table[CURVE_TABLE_SIZE] as number;
  const x = v * CURVE_TABLE_SIZE;
  const i = x | 0;
  const a = table[i] as number;
  return a + ((table[i + 1] as number) - a) * (x - i);
}

export function isIdentityCurve(points: readonly CurvePoint[]): boolean {
  return points.every((p) => p[0] === p[1]);
}
