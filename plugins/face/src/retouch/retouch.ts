/**
 * Landmark-driven retouch on raw pixels (one pass over typed arrays, no per-pixel objects):
 * - skin smoothing: an edge-aware blend towards a Gaussian blur inside the feathered skin mask;
 *   where the blur differs from the pixel by more than an edge threshold (brows, nostrils, the
 *   face outline) it is not applied, and a share of the fine detail is always kept (texture);
 * - eyes: brightened inside the eye openings (mesh or iris outline; ellipses without landmarks);
 *   where the irises are known, the whites also lose some of their colour cast and the iris keeps its colour;
 * - teeth: only bright pixels inside the mouth are whitened (desaturated and lifted), so lips and
 *   the inside of the mouth stay as they are; with landmarks, only between the lips;
 * - blemishes (first, so smoothing then blends the fills in): small dark spots on the skin are
 *   found and filled from the skin around them (blemish.ts);
 * - then eye enlarge and face slim, a smooth warp of faces with landmarks (warp.ts).
 * Pixels outside every mask and warp are returned unchanged.
 */
import sharp from "sharp";
import type { Face } from "../detect/detector.js";
import type { RgbImage } from "../image.js";
import { removeBlemishes } from "./blemish.js";
import { faceMask, irisMask } from "./masks.js";
import { type WarpParams, warpFaces } from "./warp.js";

export interface RetouchParams {
  /** 0..1 */
  smoothing: number;
  /** 0..1 */
  eyes: number;
  /** 0..1 */
  teeth: number;
  /** 0..1; needs landmarks (faces without are left as they are). */
  eyeEnlarge?: number;
  /** 0..1; needs landmarks. */
  faceSlim?: number;
  /** 0..1: opacity of the fill over small spots on the skin; 0 leaves them. */
  blemishes?: number;
}

/** Fraction of the high-frequency detail smoothing always keeps. */
const TEXTURE_KEPT = 0.2;
/** How much of the whites' colour cast goes, per unit of eye gain (at eyes 1: ~50 %). */
const WHITES_NEUTRAL = 2.2;
/** Luma difference (0..255) from which the blur is not applied at all (an edge, not skin). */
const EDGE_LEVEL = 28;

/** The result: `blemishes` is how many spots were removed per face, in `faces`' order. */
export async function retouch(img: RgbImage, faces: readonly Face[], params: RetouchParams): Promise<RgbImage & { changed: number; blemishes: number[] }> {
  const spots = params.blemishes ?? 0;
  // One skin mask for both blemishes and smoothing.
  const skin = spots > 0 && faces.length > 0 ? await faceMask(faces, img.width, img.height, "skin") : null;
  const cleaned = skin ? await removeBlemishes(img, faces, skin, spots) : null;
  const blemishes = cleaned?.removed ?? faces.map(() => 0);
  const toned = await retouchTones(cleaned ? { ...img, pixels: cleaned.pixels } : img, faces, params, skin);
  const warp: WarpParams = { eyeEnlarge: params.eyeEnlarge ?? 0, faceSlim: params.faceSlim ?? 0 };
  if (warp.eyeEnlarge <= 0 && warp.faceSlim <= 0) return { ...toned, changed: cleaned ? countChanged(toned.pixels, img.pixels) : toned.changed, blemishes };
  const warped = warpFaces(toned, faces, warp);
  return { ...warped, changed: countChanged(warped.pixels, img.pixels), blemishes };
}

/** Pixels (not bytes) that differ. */
function countChanged(a: Uint8Array, b: Uint8Array): number {
  let changed = 0;
  for (let p = 0; p < a.length; p += 3) if (a[p] !== b[p] || a[p + 1] !== b[p + 1] || a[p + 2] !== b[p + 2]) changed++;
  return changed;
}

async function retouchTones(
  img: RgbImage,
  faces: readonly Face[],
  params: RetouchParams,
  skinMask: Uint8Array | null = null,
): Promise<RgbImage & { changed: number }> {
  const { width, height } = img;
  const out = new Uint8Array(img.pixels);
  if (faces.length === 0 || (params.smoothing <= 0 && params.eyes <= 0 && params.teeth <= 0)) return { pixels: out, width, height, changed: 0 };
  const meanWidth = faces.reduce((s, f) => s + f.box.width, 0) / faces.length;
  const [skin, eyes, irises, mouth, blurred] = await Promise.all([
    params.smoothing > 0 ? (skinMask ?? faceMask(faces, width, height, "skin")) : null,
    params.eyes > 0 ? faceMask(faces, width, height, "eyes") : null,
    params.eyes > 0 && faces.some((f) => f.landmarks?.irises) ? irisMask(faces, width, height) : null,
    // "teeth" is the opening between the lips where a face has landmarks, the mouth ellipse where not.
    params.teeth > 0 ? faceMask(faces, width, height, "teeth") : null,
    params.smoothing > 0
      ? sharp(img.pixels, { raw: { width, height, channels: 3 } })
          // Float kernel and float output: libvips' integer kernel shifts a blur by up to ~2 levels and
          // casting back to 8 bits truncates (−0.5 on average); smoothing would carry either into the skin.
          .blur({ sigma: Math.max(0.5, meanWidth * 0.025), precision: "float" })
          .raw({ depth: "float" })
          .toBuffer()
          .then((buf) => new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4))
      : null,
  ]);
  const src = img.pixels;
  let changed = 0;
  const s = Math.min(1, Math.max(0, params.smoothing)) * (1 - TEXTURE_KEPT);
  const eyeGain = Math.min(1, Math.max(0, params.eyes)) * 0.22;
  const teethGain = Math.min(1, Math.max(0, params.teeth));
  for (let i = 0, p = 0; i < width * height; i++, p += 3) {
    const ms = skin ? (skin[i] as number) : 0;
    const me = eyes ? (eyes[i] as number) : 0;
    const mm = mouth ? (mouth[i] as number) : 0;
    if (ms === 0 && me === 0 && mm === 0) continue;
    let r = src[p] as number;
    let g = src[p + 1] as number;
    let b = src[p + 2] as number;
    if (ms > 0 && blurred) {
      const br = blurred[p] as number;
      const bg = blurred[p + 1] as number;
      const bb = blurred[p + 2] as number;
      const dl = Math.abs(0.299 * (br - r) + 0.587 * (bg - g) + 0.114 * (bb - b));
      const edge = dl >= EDGE_LEVEL ? 0 : 1 - dl / EDGE_LEVEL;
      const w = (ms / 255) * s * edge;
      r += (br - r) * w;
      g += (bg - g) * w;
      b += (bb - b) * w;
    }
    if (me > 0) {
      const w = (me / 255) * eyeGain;
      r += (255 - r) * w * (r / 255);
      g += (255 - g) * w * (g / 255);
      b += (255 - b) * w * (b / 255);
      if (irises) {
        // The whites (the opening less the iris) lose part of their cast (redness); the iris keeps its colour.
        const whites = Math.max(0, me - (irises[i] as number)) / 255;
        const d = whites * eyeGain * WHITES_NEUTRAL;
        const y = 0.299 * r + 0.587 * g + 0.114 * b;
        r += (y - r) * d;
        g += (y - g) * d;
        b += (y - b) * d;
      }
    }
    if (mm > 0) {
      const luma = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
      const bright = luma <= 0.45 ? 0 : luma >= 0.7 ? 1 : ((luma - 0.45) / 0.25) ** 2 * (3 - 2 * ((luma - 0.45) / 0.25));
      const w = (mm / 255) * teethGain * bright;
      if (w > 0) {
        const y = luma * 255;
        const lift = 1 + 0.1 * w;
        r = (r + (y - r) * 0.7 * w) * lift;
        g = (g + (y - g) * 0.7 * w) * lift;
        b = (b + (y - b) * 0.7 * w) * lift;
      }
    }
    const nr = r < 0 ? 0 : r > 255 ? 255 : Math.round(r);
    const ng = g < 0 ? 0 : g > 255 ? 255 : Math.round(g);
    const nb = b < 0 ? 0 : b > 255 ? 255 : Math.round(b);
    if (nr !== src[p] || ng !== src[p + 1] || nb !== src[p + 2]) changed++;
    out[p] = nr;
    out[p + 1] = ng;
    out[p + 2] = nb;
  }
  return { pixels: out, width, height, changed };
}
