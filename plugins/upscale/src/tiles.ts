/**
 * Upscaling by overlapping tiles so any image size works within a memory bound: each input tile
 * (at most `tileSize`², overlapping its neighbours by `overlap` px) is upscaled on its own, and the
 * results are blended with linear ramps across the overlaps (weights sum to 1), so no seam shows.
 * A model that consumes `context` px around what it upscales (unpadded convolutions) gets each tile
 * with that margin of real neighbouring pixels, or the edge repeated at the image's border.
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
}

export function tileGrid(length: number, tileSize: number, overlap: number): { start: number; size: number }[] {
  if (length <= tileSize) return [{ start: 0, size: length }];
  const step = Math.max(1, tileSize - overlap);
  const out: { start: number; size: number }[] = [];
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
  const acc = new Float32Array(W * H * 3);
  const weight = new Float32Array(W * H);
  const total = xs.length * ys.length;
  let done = 0;
  for (let ty = 0; ty < ys.length; ty++) {
    for (let tx = 0; tx < xs.length; tx++) {
      if (options.signal?.aborted) throw new Error("cancelled");
      const X = xs[tx] as { start: number; size: number };
      const Y = ys[ty] as { start: number; size: number };
      const tile = crop(img, X.start, Y.start, X.size, Y.size, options.context ?? 0);
      const up = await upscaleTile(tile);
      if (up.width !== X.size * scale || up.height !== Y.size * scale) {
        throw new Error(`a ${X.size}×${Y.size} tile came back ${up.width}×${up.height}, not ${X.size * scale}×${Y.size * scale}`);
      }
      // Overlap with the previous and next tile, in output pixels.
      const prevX = tx > 0 ? ((xs[tx - 1] as { start: number; size: number }).start + (xs[tx - 1] as { size: number }).size - X.start) * scale : 0;
      const nextX = tx < xs.length - 1 ? (X.start + X.size - (xs[tx + 1] as { start: number }).start) * scale : 0;
      const prevY = ty > 0 ? ((ys[ty - 1] as { start: number; size: number }).start + (ys[ty - 1] as { size: number }).size - Y.start) * scale : 0;
      const nextY = ty < ys.length - 1 ? (Y.start + Y.size - (ys[ty + 1] as { start: number }).start) * scale : 0;
      const wx = new Float32Array(up.width);
      for (let i = 0; i < up.width; i++) wx[i] = ramp(i, up.width, prevX, nextX);
      for (let j = 0; j < up.height; j++) {
        const wy = ramp(j, up.height, prevY, nextY);
        const oy = Y.start * scale + j;
        for (let i = 0; i < up.width; i++) {
          const w = (wx[i] as number) * wy;
          const o = oy * W + X.start * scale + i;
          const s = (j * up.width + i) * 3;
          weight[o] = (weight[o] as number) + w;
          acc[o * 3] = (acc[o * 3] as number) + (up.pixels[s] as number) * w;
          acc[o * 3 + 1] = (acc[o * 3 + 1] as number) + (up.pixels[s + 1] as number) * w;
          acc[o * 3 + 2] = (acc[o * 3 + 2] as number) + (up.pixels[s + 2] as number) * w;
        }
      }
      done++;
      await options.onTile?.(done, total);
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
  return { pixels, width: W, height: H, tiles: total };
}
