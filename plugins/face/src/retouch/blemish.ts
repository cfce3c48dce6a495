/**
 * Blemish removal: small dark spots on the skin are found as local outliers and filled from the
 * skin around them. Per face, on a crop around it (typed arrays and sharp only):
 * 1. a background estimate: a median of the green channel over a window ~3 spots wide (at most
 *    ~256 px of face width, then scaled back), so a spot does not pull its own background down;
 * 2. candidates: pixels darker than that background by more than a threshold set from the skin's
 *    own noise (robust: median absolute deviation), grouped into 8-connected blobs;
 * 3. a blob is a blemish when it lies wholly in the core of the skin mask and off the nose's base,
 *    is compact and no wider than MAX_SPOT of the face, and its ring of surrounding skin is even
 *    (a piece of a larger mark, a line or a feature edge has a ring of mixed tones);
 * 4. the blob, grown by a rim, is filled by a harmonic (Laplace) interpolation of the pixels just
 *    outside it, plus the fine texture (pixel minus a Gaussian blur) of an equally large clean patch
 *    beside it, so the fill is not flat; the outer rim is feathered.
 */
import sharp from "sharp";
import type { Face } from "../detect/detector.js";
import type { RgbImage } from "../image.js";
import { NOSE_BASE } from "../landmarks/regions.js";
import { faceEllipse } from "./masks.js";

/** Widest spot removed, as a share of the face's width (~7 mm on an adult face): larger marks are kept. */
export const MAX_SPOT = 0.05;
/** Narrowest spot, as a share of the face's width: smaller ones are pores, not blemishes. */
const MIN_SPOT = 0.006;
/** Skin-mask level (0..255) a spot must lie above: the mask's feathered rim runs over eyes, brows, lips and the outline. */
const SKIN_CORE = 160;
/** The background is estimated at this face width at most (a median's cost grows with its window). */
const WORK_WIDTH = 256;
/** Skin-mask level the ring around a spot (and the patch its texture comes from) must reach: well inside the mask's feathered rim. */
const RING_SKIN = 96;
/** Least darkness (levels of green) of a spot against its background, for noise-free (e.g. drawn) skin. */
const MIN_CONTRAST = 8;
/** Least tolerated spread (standard deviation, levels) of the ring around a spot. */
const RING_SPREAD = 6;

interface Region {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

interface Blob {
  id: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/**
 * Removes small dark spots inside the skin mask of each face; `skin` is faceMask(…, "skin") of the
 * same faces. Returns new pixels and how many spots were removed per face (in `faces`' order).
 * Strength 0 returns an unchanged copy; otherwise it is the opacity of the fill.
 */
export async function removeBlemishes(
  img: RgbImage,
  faces: readonly Face[],
  skin: Uint8Array,
  strength: number,
): Promise<{ pixels: Uint8Array; removed: number[] }> {
  const out = new Uint8Array(img.pixels);
  const amount = Number.isFinite(strength) ? Math.min(1, Math.max(0, strength)) : 0;
  if (amount === 0) return { pixels: out, removed: faces.map(() => 0) };
  const removed: number[] = [];
  // One face after the other on the same pixels: a spot where two crops overlap is removed (and counted) once.
  for (const face of faces) removed.push(await cleanFace(out, img.width, img.height, face, skin, amount));
  return { pixels: out, removed };
}

/** The face's landmarks (or its oval) and box, padded so a spot at its rim still has its ring and background window. */
function faceRegion(face: Face, width: number, height: number): Region {
  const { x, y, width: w, height: h } = face.box;
  let x0 = x;
  let y0 = y;
  let x1 = x + w;
  let y1 = y + h;
  if (face.landmarks) {
    for (const [px, py] of face.landmarks.points) {
      x0 = Math.min(x0, px);
      y0 = Math.min(y0, py);
      x1 = Math.max(x1, px);
      y1 = Math.max(y1, py);
    }
  } else {
    const e = faceEllipse(face);
    const r = Math.max(e.rx, e.ry);
    x0 = Math.min(x0, e.cx - r);
    y0 = Math.min(y0, e.cy - r);
    x1 = Math.max(x1, e.cx + r);
    y1 = Math.max(y1, e.cy + r);
  }
  const pad = Math.ceil(w * 0.12);
  const rx0 = Math.max(0, Math.floor(x0 - pad));
  const ry0 = Math.max(0, Math.floor(y0 - pad));
  const rx1 = Math.min(width, Math.ceil(x1 + pad));
  const ry1 = Math.min(height, Math.ceil(y1 + pad));
  return { x0: rx0, y0: ry0, w: Math.max(0, rx1 - rx0), h: Math.max(0, ry1 - ry0) };
}

/** A disc over the nose's base: nostrils are dark, compact and ringed by even skin, just like a spot. */
function noseDisc(face: Face): { x: number; y: number; r: number } {
  const points = face.landmarks?.points;
  if (points) {
    const [a, b, c] = NOSE_BASE.map((i) => points[i] as [number, number, number]) as [
      [number, number, number],
      [number, number, number],
      [number, number, number],
    ];
    return { x: (a[0] + b[0] + c[0]) / 3, y: (a[1] + b[1] + c[1]) / 3, r: 0.5 * Math.hypot(a[0] - b[0], a[1] - b[1]) };
  }
  const tip = face.keypoints.find((k) => k.name === "noseTip") ?? { x: face.box.x + face.box.width / 2, y: face.box.y + face.box.height / 2 };
  return { x: tip.x, y: tip.y + 0.03 * face.box.width, r: 0.16 * face.box.width };
}

const odd = (n: number) => (n % 2 === 0 ? n + 1 : n);

/**
 * The median of the green channel (brown and red spots both absorb green most) over a window ~3
 * spots wide, computed small and scaled back to the crop.
 */
async function greenBackground(crop: Uint8Array, w: number, h: number, faceWidth: number): Promise<Uint8Array> {
  const scale = Math.min(1, WORK_WIDTH / faceWidth);
  const sw = Math.max(1, Math.round(w * scale));
  const sh = Math.max(1, Math.round(h * scale));
  const window = odd(Math.max(3, 2 * Math.ceil(1.5 * MAX_SPOT * faceWidth * scale) + 1));
  // sharp runs its operations in a fixed order (resize before median), hence separate pipelines.
  let green = await sharp(crop, { raw: { width: w, height: h, channels: 3 } })
    .extractChannel(1)
    .raw()
    .toBuffer();
  // One-band raw input comes out as sRGB unless a band is picked again (extractChannel(0)).
  const grey = (buf: Buffer, gw: number, gh: number) => sharp(buf, { raw: { width: gw, height: gh, channels: 1 } });
  if (scale < 1) green = await grey(green, w, h).resize(sw, sh, { fit: "fill" }).extractChannel(0).raw().toBuffer();
  let median = await grey(green, sw, sh).median(window).extractChannel(0).raw().toBuffer();
  if (scale < 1) median = await grey(median, sw, sh).resize(w, h, { fit: "fill", kernel: "linear" }).extractChannel(0).raw().toBuffer();
  return new Uint8Array(median.buffer, median.byteOffset, median.length);
}

async function cleanFace(out: Uint8Array, width: number, height: number, face: Face, skin: Uint8Array, amount: number): Promise<number> {
  const faceWidth = face.box.width;
  const reg = faceRegion(face, width, height);
  const { w, h } = reg;
  if (w < 8 || h < 8 || faceWidth < 24) return 0;
  const n = w * h;
  const crop = new Uint8Array(n * 3);
  for (let y = 0; y < h; y++) crop.set(out.subarray(((reg.y0 + y) * width + reg.x0) * 3, ((reg.y0 + y) * width + reg.x0 + w) * 3), y * w * 3);
  const [background, lowpassBuf] = await Promise.all([
    greenBackground(crop, w, h, faceWidth),
    // Float precision: libvips' default integer kernel darkens by ~2 levels, which the texture would add to every fill.
    sharp(crop, { raw: { width: w, height: h, channels: 3 } })
      .blur({ sigma: Math.max(0.6, 0.008 * faceWidth), precision: "float" })
      .raw()
      .toBuffer(),
  ]);
  const lowpass = new Uint8Array(lowpassBuf.buffer, lowpassBuf.byteOffset, lowpassBuf.length);

  // The skin mask's level, 0 on the nose's base: spots lie in its core, their rings may reach a little further out.
  const nose = noseDisc(face);
  const onSkin = new Uint8Array(n);
  const dark = new Int16Array(n);
  const spread = new Uint32Array(256);
  let counted = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const gx = reg.x0 + x;
      const gy = reg.y0 + y;
      dark[i] = (background[i] as number) - (crop[i * 3 + 1] as number);
      if (Math.hypot(gx + 0.5 - nose.x, gy + 0.5 - nose.y) < nose.r) continue;
      onSkin[i] = skin[gy * width + gx] as number;
      if ((onSkin[i] as number) < SKIN_CORE) continue;
      const bin = Math.min(255, Math.abs(dark[i] as number));
      spread[bin] = (spread[bin] as number) + 1;
      counted++;
    }
  }
  if (counted === 0) return 0;
  // The skin's own noise: 1.4826 × the median absolute deviation is its standard deviation for Gaussian noise.
  let mad = 0;
  for (let acc = 0; mad < 256; mad++) {
    acc += spread[mad] as number;
    if (acc * 2 >= counted) break;
  }
  const sigma = 1.4826 * mad;
  const threshold = Math.max(MIN_CONTRAST, 3 * sigma);
  const candidate = new Uint8Array(n);
  for (let i = 0; i < n; i++) if ((dark[i] as number) > threshold) candidate[i] = 1;

  const maxSpan = Math.max(2, MAX_SPOT * faceWidth);
  const minArea = Math.max(3, Math.round((Math.PI / 4) * (MIN_SPOT * faceWidth) ** 2));
  const label = new Int32Array(n);
  const stack = new Int32Array(n);
  let removed = 0;
  let next = 0;
  for (let start = 0; start < n; start++) {
    if (candidate[start] === 0 || label[start] !== 0) continue;
    next++;
    // Flood fill (8-connected) with an explicit stack of pixel indices.
    const blob: Blob = { id: next, minX: w, minY: h, maxX: -1, maxY: -1 };
    let area = 0;
    let inside = true;
    let top = 0;
    stack[top++] = start;
    label[start] = next;
    while (top > 0) {
      const i = stack[--top] as number;
      const x = i % w;
      const y = (i - x) / w;
      area++;
      if ((onSkin[i] as number) < SKIN_CORE) inside = false;
      if (x < blob.minX) blob.minX = x;
      if (x > blob.maxX) blob.maxX = x;
      if (y < blob.minY) blob.minY = y;
      if (y > blob.maxY) blob.maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= w) continue;
          const j = ny * w + nx;
          if (candidate[j] === 1 && label[j] === 0) {
            label[j] = next;
            stack[top++] = j;
          }
        }
      }
    }
    const bw = blob.maxX - blob.minX + 1;
    const bh = blob.maxY - blob.minY + 1;
    // Compact (a disc fills ~79 % of its box, a thin diagonal line far less), small, wholly on skin.
    if (!inside || area < minArea || bw > maxSpan || bh > maxSpan || area < 0.35 * bw * bh) continue;
    if (fillSpot({ crop, lowpass, label, candidate, onSkin, w, h }, blob, threshold, sigma, amount)) removed++;
  }
  for (let y = 0; y < h; y++) out.set(crop.subarray(y * w * 3, (y + 1) * w * 3), ((reg.y0 + y) * width + reg.x0) * 3);
  return removed;
}

interface CropData {
  crop: Uint8Array;
  lowpass: Uint8Array;
  label: Int32Array;
  candidate: Uint8Array;
  onSkin: Uint8Array;
  w: number;
  h: number;
}

const DIRECTIONS = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
  [1, 1],
  [-1, 1],
  [1, -1],
  [-1, -1],
] as const;

/** Checks the ring around one blob and, when it is even skin, fills the blob in place. True when filled. */
function fillSpot(c: CropData, blob: Blob, threshold: number, sigma: number, amount: number): boolean {
  const { crop, lowpass, label, candidate, onSkin, w, h } = c;
  const span = Math.max(blob.maxX - blob.minX + 1, blob.maxY - blob.minY + 1);
  // The rim covers the spot's soft edge (below the threshold but still darker); the ring beyond it is what the fill comes from.
  const grow = Math.max(2, Math.round(0.3 * span));
  const ringWidth = Math.max(2, Math.round(0.5 * span));
  const margin = grow + ringWidth + 1;
  const gx0 = blob.minX - margin;
  const gy0 = blob.minY - margin;
  const gw = blob.maxX - blob.minX + 1 + 2 * margin;
  const gh = blob.maxY - blob.minY + 1 + 2 * margin;
  if (gx0 < 0 || gy0 < 0 || gx0 + gw > w || gy0 + gh > h) return false;
  const gn = gw * gh;

  // Chamfer distance (1, √2) from the blob, on the grid around it.
  const dist = new Float32Array(gn).fill(1e9);
  for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) if (label[(gy0 + y) * w + gx0 + x] === blob.id) dist[y * gw + x] = 0;
  const relax = (i: number, j: number, d: number) => {
    const v = (dist[j] as number) + d;
    if (v < (dist[i] as number)) dist[i] = v;
  };
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const i = y * gw + x;
      if (x > 0) relax(i, i - 1, 1);
      if (y > 0) {
        relax(i, i - gw, 1);
        if (x > 0) relax(i, i - gw - 1, Math.SQRT2);
        if (x < gw - 1) relax(i, i - gw + 1, Math.SQRT2);
      }
    }
  }
  for (let y = gh - 1; y >= 0; y--) {
    for (let x = gw - 1; x >= 0; x--) {
      const i = y * gw + x;
      if (x < gw - 1) relax(i, i + 1, 1);
      if (y < gh - 1) {
        relax(i, i + gw, 1);
        if (x < gw - 1) relax(i, i + gw + 1, Math.SQRT2);
        if (x > 0) relax(i, i + gw - 1, Math.SQRT2);
      }
    }
  }

  // The ring: on skin, even in tone, and clearly lighter than the blob.
  let ringN = 0;
  let blobN = 0;
  let blobSum = 0;
  const ringSum = [0, 0, 0];
  let ringSq = 0;
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const d = dist[y * gw + x] as number;
      const ci = (gy0 + y) * w + gx0 + x;
      const g = crop[ci * 3 + 1] as number;
      if (d === 0) {
        blobN++;
        blobSum += g;
      } else if (d > grow && d <= grow + ringWidth) {
        if ((onSkin[ci] as number) < RING_SKIN) return false;
        ringN++;
        for (let k = 0; k < 3; k++) ringSum[k] = (ringSum[k] as number) + (crop[ci * 3 + k] as number);
        ringSq += g * g;
      }
    }
  }
  if (ringN === 0 || blobN === 0) return false;
  const ringMean = (ringSum[1] as number) / ringN;
  const ringSpread = Math.sqrt(Math.max(0, ringSq / ringN - ringMean * ringMean));
  if (ringSpread > Math.max(RING_SPREAD, 2 * sigma) || ringMean - blobSum / blobN < 0.75 * threshold) return false;

  // The region filled: the blob and its rim, as grid indices.
  const fill: number[] = [];
  for (let i = 0; i < gn; i++) if ((dist[i] as number) <= grow) fill.push(i);
  const region = Int32Array.from(fill);

  // Harmonic fill: Laplace's equation inside, the original pixels outside as the boundary (SOR).
  const values = new Float32Array(gn * 3);
  for (let y = 0; y < gh; y++)
    for (let x = 0; x < gw; x++) for (let k = 0; k < 3; k++) values[(y * gw + x) * 3 + k] = crop[((gy0 + y) * w + gx0 + x) * 3 + k] as number;
  for (const i of region) for (let k = 0; k < 3; k++) values[i * 3 + k] = (ringSum[k] as number) / ringN;
  const omega = 2 / (1 + Math.PI / (span + 2 * grow + 2));
  const iterations = Math.max(30, 4 * (span + 2 * grow));
  for (let it = 0; it < iterations; it++) {
    for (const i of region) {
      for (let k = 0; k < 3; k++) {
        const o = i * 3 + k;
        const mean = ((values[o - 3] as number) + (values[o + 3] as number) + (values[o - gw * 3] as number) + (values[o + gw * 3] as number)) / 4;
        values[o] = (values[o] as number) + omega * (mean - (values[o] as number));
      }
    }
  }

  // Texture from a clean patch beside the spot: the first direction whose shifted region is all unspotted skin.
  const step = span + 2 * grow + 2;
  let shift: number | null = null;
  for (const [dx, dy] of DIRECTIONS) {
    let clean = true;
    for (const i of region) {
      const sx = gx0 + (i % gw) + dx * step;
      const sy = gy0 + Math.floor(i / gw) + dy * step;
      const si = sy * w + sx;
      if (sx < 0 || sy < 0 || sx >= w || sy >= h || (onSkin[si] as number) < RING_SKIN || candidate[si] === 1) {
        clean = false;
        break;
      }
    }
    if (clean) {
      shift = dy * step * w + dx * step;
      break;
    }
  }

  for (const i of region) {
    const d = dist[i] as number;
    // Full strength inside, fading over the rim's last pixel or so.
    const feather = Math.min(1, Math.max(0, (grow + 0.5 - d) / 1.5));
    const weight = amount * feather;
    const ci = (gy0 + Math.floor(i / gw)) * w + gx0 + (i % gw);
    for (let k = 0; k < 3; k++) {
      // + 0.5: the float blur is truncated to 8 bits on the way out.
      const texture = shift === null ? 0 : (crop[(ci + shift) * 3 + k] as number) - (lowpass[(ci + shift) * 3 + k] as number) - 0.5;
      const was = crop[ci * 3 + k] as number;
      const v = was + weight * ((values[i * 3 + k] as number) + texture - was);
      crop[ci * 3 + k] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
  return true;
}
