/**
 * Upscaling by overlapping tiles so any image size works within a memory bound: each input tile
 * (at most `tileSize`², overlapping its neighbours by `overlap` px) is upscaled on its own, and the
 * results are blended with linear ramps across the overlaps (weights sum to 1), so no seam shows.
 * A model that consumes `context` px around what it upscales (unpadded convolutions) gets each tile
 * with that margin of real neighbouring pixels, or the edge repeated at the image's border.
 * Tiles go to `upscaleTile` in waves of `batch`, all started at once so a runtime that micro-batches
 * (the kernel's, for a model with `batch` in its manifest) runs a wave as one call; at most one
 * wave is held in memory, and results are blended and reported in tile order.
 */
import type { RgbImage } from "./image.js";

export interface TileOptions {
  scale: number;
  tileSize: number;
  overlap: number;
  /** Pixels of context added around each tile handed to `upscaleTile`; its result covers the tile without them. */
  context?: number;
  onTile?: (done: number, total: number) => void | Promise<void>;
  signal?: AbortSignal;
  /** Tiles in flight at once (default 1): the model's batch size, so one wave can run as one call. */
  batch?: number;
}

interface Span {
  start: number;
  size: number;
}

export function tileGrid(length: number, tileSize: number, overlap: number): Span[] {
  if (length <= tileSize) return [{ start: 0, size: length }];
  const step = Math.max(1, tileSize - overlap);
  const out: Span[] = [];
  for (let s = 0; ; s += step) {
    const start = Math.min(s, length - tileSize);
    out.push({ start, size: tileSize });
    if (start + tileSize >= length) break;
  }
  return out;
}

/** The w×h tile at (x, y) with `margin` px around it; outside the image the edge pixel repeats. */
function crop(img: RgbImage, x: number, y: number, w: number, h: number, margin: number): RgbImage {
  const W = w + 2 * margin;
  const H = h + 2 * margin;
  const pixels = new Uint8Array(W * H * 3);
  const clamp = (v: number, max: number) => (v < 0 ? 0 : Math.min(v, max));
  for (let row = 0; row < H; row++) {
    const sy = clamp(y + row - margin, img.height - 1);
    const inside = x - margin >= 0 && x + w + margin <= img.width;
    if (inside) {
      const from = (sy * img.width + x - margin) * 3;
      pixels.set(img.pixels.subarray(from, from + W * 3), row * W * 3);
      continue;
    }
    for (let col = 0; col < W; col++) {
      const from = (sy * img.width + clamp(x + col - margin, img.width - 1)) * 3;
      pixels.set(img.pixels.subarray(from, from + 3), (row * W + col) * 3);
    }
  }
  return { pixels, width: W, height: H };
}

/** Weight of output position `i` (0..size-1) of a tile: ramps up over the overlap shared with a previous tile, down over the next's. */
function ramp(i: number, size: number, before: number, after: number): number {
  let w = 1;
  if (before > 0 && i < before) w = Math.min(w, (i + 0.5) / before);
  if (after > 0 && i >= size - after) w = Math.min(w, (size - i - 0.5) / after);
  return w;
}

/** Overlap (in output pixels) of span `i` with the one before and the one after it. */
function overlaps(spans: Span[], i: number, scale: number): [before: number, after: number] {
  const span = spans[i] as Span;
  const prev = spans[i - 1];
  const next = spans[i + 1];
  return [prev ? (prev.start + prev.size - span.start) * scale : 0, next ? (span.start + span.size - next.start) * scale : 0];
}

/** Adds an upscaled tile into the running sums, weighted by ramps across its overlaps. */
function blend(acc: Float32Array, weight: Float32Array, W: number, up: RgbImage, x0: number, y0: number, rampX: [number, number], rampY: [number, number]) {
  const wx = new Float32Array(up.width);
  for (let i = 0; i < up.width; i++) wx[i] = ramp(i, up.width, rampX[0], rampX[1]);
  for (let j = 0; j < up.height; j++) {
    const wy = ramp(j, up.height, rampY[0], rampY[1]);
    const oy = y0 + j;
    for (let i = 0; i < up.width; i++) {
      const w = (wx[i] as number) * wy;
      const o = oy * W + x0 + i;
      const s = (j * up.width + i) * 3;
      weight[o] = (weight[o] as number) + w;
      acc[o * 3] = (acc[o * 3] as number) + (up.pixels[s] as number) * w;
      acc[o * 3 + 1] = (acc[o * 3 + 1] as number) + (up.pixels[s + 1] as number) * w;
      acc[o * 3 + 2] = (acc[o * 3 + 2] as number) + (up.pixels[s + 2] as number) * w;
    }
  }
}

/** `work`, or a "cancelled" rejection as soon as `signal` aborts (the work is left to finish unobserved). */
function unlessCancelled<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  work.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("cancelled"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export async function upscaleTiled(
  img: RgbImage,
  upscaleTile: (tile: RgbImage) => Promise<RgbImage>,
  options: TileOptions,
): Promise<RgbImage & { tiles: number }> {
  const { scale } = options;
  const W = img.width * scale;
  const H = img.height * scale;
  const xs = tileGrid(img.width, options.tileSize, options.overlap);
  const ys = tileGrid(img.height, options.tileSize, options.overlap);
  const cells = ys.flatMap((_, ty) => xs.map((_, tx) => ({ tx, ty })));
  const batch = Math.max(1, Math.floor(options.batch ?? 1));
  const acc = new Float32Array(W * H * 3);
  const weight = new Float32Array(W * H);
  let done = 0;
  for (let first = 0; first < cells.length; first += batch) {
    if (options.signal?.aborted) throw new Error("cancelled");
    const wave = cells.slice(first, first + batch);
    // Started together (same tick), so the kernel's micro-batcher sees the whole wave at once.
    const ups = await unlessCancelled(
      Promise.all(
        wave.map(({ tx, ty }) => {
          const [X, Y] = [xs[tx] as Span, ys[ty] as Span];
          return upscaleTile(crop(img, X.start, Y.start, X.size, Y.size, options.context ?? 0));
        }),
      ),
      options.signal,
    );
    for (const [k, { tx, ty }] of wave.entries()) {
      const [X, Y, up] = [xs[tx] as Span, ys[ty] as Span, ups[k] as RgbImage];
      if (up.width !== X.size * scale || up.height !== Y.size * scale) {
        throw new Error(`a ${X.size}×${Y.size} tile came back ${up.width}×${up.height}, not ${X.size * scale}×${Y.size * scale}`);
      }
      blend(acc, weight, W, up, X.start * scale, Y.start * scale, overlaps(xs, tx, scale), overlaps(ys, ty, scale));
      done++;
      await options.onTile?.(done, cells.length);
    }
  }
  const pixels = new Uint8Array(W * H * 3);
  for (let o = 0; o < W * H; o++) {
    const w = (weight[o] as number) || 1;
    for (let c = 0; c < 3; c++) {
      const v = (acc[o * 3 + c] as number) / w;
      pixels[o * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { pixels, width: W, height: H, tiles: cells.length };
}
