/**
 * Landmark-driven shape retouch as one smooth inverse warp per face: every output pixel samples
 * the source at `p + D(p)` (bilinear). The displacement `D` is kept small and gentle (its slope
 * below 1), so the map cannot fold or tear however the amounts are set; amount 0 is the identity.
 * - eye enlarge: inside a disc around each eye, a radial zoom that fades to nothing at its rim;
 * - face slim: around each side of the jaw, a Gaussian push that shows what lies further out, so
 *   the jaw line moves towards the nose.
 */
import type { Face } from "../detect/detector.js";
import type { RgbImage } from "../image.js";
import { LEFT_EYE, LEFT_JAW, NOSE_TIP, RIGHT_EYE, RIGHT_JAW } from "../landmarks/regions.js";

export interface WarpParams {
  /** 0..1 */
  eyeEnlarge: number;
  /** 0..1 */
  faceSlim: number;
}

/** Zoom at an eye's centre at amount 1: 1 / (1 − 0.2) = 1.25×. Below 1 the radial map stays monotonic. */
export const MAX_EYE_ZOOM = 0.2;
/** The jaw moves at most this share of the face's width at amount 1. */
export const MAX_SLIM_SHIFT = 0.04;
/** Width of the slimming push, as a share of the face's width: with MAX_SLIM_SHIFT the slope stays ≈ 0.1. */
const SLIM_SIGMA = 0.22;

type Point = [number, number, number];

function centroid(points: readonly Point[], ring: readonly number[]): { x: number; y: number } {
  let x = 0;
  let y = 0;
  for (const i of ring) {
    x += (points[i] as Point)[0];
    y += (points[i] as Point)[1];
  }
  return { x: x / ring.length, y: y / ring.length };
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

interface Feature {
  displace(x: number, y: number, d: { dx: number; dy: number }): void;
}

function eyeFeature(points: readonly Point[], ring: readonly number[], corners: [number, number], k: number): Feature {
  const c = centroid(points, ring);
  const a = points[corners[0]] as Point;
  const b = points[corners[1]] as Point;
  const radius = Math.hypot(a[0] - b[0], a[1] - b[1]);
  return {
    displace(x, y, d) {
      const dx = x - c.x;
      const dy = y - c.y;
      const t = (dx * dx + dy * dy) / (radius * radius);
      if (t >= 1) return;
      // Sample nearer the centre: the eye looks bigger; the weight (1 − t)² fades it to 0 at the rim.
      const s = k * (1 - t) * (1 - t);
      d.dx -= dx * s;
      d.dy -= dy * s;
    },
  };
}

function jawFeature(points: readonly Point[], ring: readonly number[], faceWidth: number, amount: number): Feature {
  const q = centroid(points, ring);
  const nose = points[NOSE_TIP] as Point;
  const len = Math.hypot(q.x - nose[0], q.y - nose[1]) || 1;
  const nx = (q.x - nose[0]) / len;
  const ny = (q.y - nose[1]) / len;
  const shift = MAX_SLIM_SHIFT * faceWidth * amount;
  const sigma = SLIM_SIGMA * faceWidth;
  const reach = 3 * sigma;
  return {
    displace(x, y, d) {
      const ex = x - q.x;
      const ey = y - q.y;
      const r2 = ex * ex + ey * ey;
      if (r2 >= reach * reach) return;
      const g = Math.exp(-r2 / (2 * sigma * sigma)) * shift;
      d.dx += nx * g;
      d.dy += ny * g;
    },
  };
}

/** The warped image; faces without landmarks are left as they are. */
export function warpFaces(img: RgbImage, faces: readonly Face[], params: WarpParams): RgbImage & { changed: number } {
  const { width, height } = img;
  const eye = clamp01(params.eyeEnlarge) * MAX_EYE_ZOOM;
  const slim = clamp01(params.faceSlim);
  let out = new Uint8Array(img.pixels);
  if ((eye === 0 && slim === 0) || width < 2 || height < 2) return { pixels: out, width, height, changed: 0 };
  let changed = 0;
  for (const face of faces) {
    const points = face.landmarks?.points;
    if (!points) continue;
    const features: Feature[] = [];
    if (eye > 0) features.push(eyeFeature(points, RIGHT_EYE, [33, 133], eye), eyeFeature(points, LEFT_EYE, [263, 362], eye));
    if (slim > 0) features.push(jawFeature(points, RIGHT_JAW, face.box.width, slim), jawFeature(points, LEFT_JAW, face.box.width, slim));
    // Each feature reaches at most 3 σ (0.66 face widths) from a landmark: a margin of one face width is enough.
    const m = face.box.width;
    const x0 = Math.max(0, Math.floor(face.box.x - m));
    const y0 = Math.max(0, Math.floor(face.box.y - m));
    const x1 = Math.min(width, Math.ceil(face.box.x + face.box.width + m));
    const y1 = Math.min(height, Math.ceil(face.box.y + face.box.height + m));
    const src = out;
    out = new Uint8Array(src);
    const d = { dx: 0, dy: 0 };
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        d.dx = 0;
        d.dy = 0;
        for (const f of features) f.displace(x + 0.5, y + 0.5, d);
        if (d.dx === 0 && d.dy === 0) continue;
        const sx = Math.min(width - 1, Math.max(0, x + d.dx));
        const sy = Math.min(height - 1, Math.max(0, y + d.dy));
        const ix = Math.min(width - 2, Math.floor(sx));
        const iy = Math.min(height - 2, Math.floor(sy));
        const fx = sx - ix;
        const fy = sy - iy;
        const o = (y * width + x) * 3;
        let moved = false;
        for (let c = 0; c < 3; c++) {
          const p00 = src[(iy * width + ix) * 3 + c] as number;
          const p10 = src[(iy * width + ix + 1) * 3 + c] as number;
          const p01 = src[((iy + 1) * width + ix) * 3 + c] as number;
          const p11 = src[((iy + 1) * width + ix + 1) * 3 + c] as number;
          const v = Math.round(p00 * (1 - fx) * (1 - fy) + p10 * fx * (1 - fy) + p01 * (1 - fx) * fy + p11 * fx * fy);
          if (v !== src[o + c]) moved = true;
          out[o + c] = v;
        }
        if (moved) changed++;
      }
    }
  }
  return { pixels: out, width, height, changed };
}
