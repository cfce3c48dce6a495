/**
 * A hair mask from the person mask and the faces, by a documented heuristic (no hair model):
 * hair = person × head zone × (1 − face) × not skin-coloured, the largest over the faces, where
 * - head zone: an ellipse per face, turned with its eye line, from ~0.85 face heights above the box
 *   (the crown) to just below the chin, ~1.9 face widths wide, its rim feathered;
 * - face: the face region from landmarks (or the box's oval without them), so forehead, cheeks and
 *   features are never hair;
 * - not skin-coloured, below the brows only: there the pixel's RGB distance from that face's mean
 *   skin colour (sampled inside its skin mask) fades the hair in from 25 to 60, so ears and neck
 *   drop out. Above the brows the colour is not asked: dark hair on dark skin is as close in colour
 *   as ears are, and the crown is hair far more often than scalp.
 * Limits: a bald crown counts as hair; hair below the chin (long hair over the shoulders) is left
 * out; beside the face, hair of the skin's colour is lost. Without faces there is no head: empty.
 */
import type { Face } from "../detect/detector.js";
import type { RgbImage } from "../image.js";
import { faceEllipse, faceMask } from "../retouch/masks.js";

/** Head zone in face-box units: centre below the box's top, half-axes. */
const ZONE = { cy: 0.1, rx: 0.95, ry: 0.95 } as const;
/** The zone's rim fades out over this share of its radius. */
const RIM = 0.2;
/** RGB distances from the face's skin colour: below NEAR it is skin, above FAR it can be hair. */
const NEAR = 25;
const FAR = 60;

const smooth = (e0: number, e1: number, v: number) => {
  const t = Math.min(1, Math.max(0, (v - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};

/** The mean colour of a face's skin (skin mask > 200 inside its box), or null when too few pixels were sampled. */
function skinColour(img: RgbImage, skin: Uint8Array, face: Face): [number, number, number] | null {
  const { width, height, pixels } = img;
  const x0 = Math.max(0, Math.floor(face.box.x));
  const y0 = Math.max(0, Math.floor(face.box.y));
  const x1 = Math.min(width, Math.ceil(face.box.x + face.box.width));
  const y1 = Math.min(height, Math.ceil(face.box.y + face.box.height));
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * width + x;
      if ((skin[i] as number) <= 200) continue;
      r += pixels[i * 3] as number;
      g += pixels[i * 3 + 1] as number;
      b += pixels[i * 3 + 2] as number;
      n++;
    }
  }
  return n >= 16 ? [r / n, g / n, b / n] : null;
}

export async function hairMask(img: RgbImage, person: Uint8Array, faces: readonly Face[]): Promise<Uint8Array> {
  const { width, height, pixels } = img;
  const out = new Uint8Array(width * height);
  if (faces.length === 0) return out;
  const [region, skin] = await Promise.all([faceMask(faces, width, height, "faces", 0.5), faceMask(faces, width, height, "skin", 0.5)]);
  for (const face of faces) {
    const { x, y, width: w, height: h } = face.box;
    const colour = skinColour(img, skin, face);
    const angle = (faceEllipse(face).angle * Math.PI) / 180;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const cx = x + w / 2;
    const cy = y + ZONE.cy * h;
    const rx = ZONE.rx * w;
    const ry = ZONE.ry * h;
    const reach = Math.max(rx, ry);
    const xa = Math.max(0, Math.floor(cx - reach));
    const xb = Math.min(width, Math.ceil(cx + reach));
    const ya = Math.max(0, Math.floor(cy - reach));
    const yb = Math.min(height, Math.ceil(cy + reach));
    for (let py = ya; py < yb; py++) {
      for (let px = xa; px < xb; px++) {
        const i = py * width + px;
        const p = person[i] as number;
        if (p === 0) continue;
        // Into the face's upright frame, then the ellipse's normalised radius.
        const dx = px + 0.5 - cx;
        const dy = py + 0.5 - cy;
        const u = (dx * cos + dy * sin) / rx;
        const v = (-dx * sin + dy * cos) / ry;
        const r = Math.sqrt(u * u + v * v);
        if (r >= 1) continue;
        const zone = 1 - smooth(1 - RIM, 1, r);
        // 0 above the box's top, 1 from the brows down (the box starts at the brows; ZONE.cy below its top).
        const below = smooth(-ZONE.cy * h, (0.2 - ZONE.cy) * h, -dx * sin + dy * cos);
        let notSkin = 1;
        if (colour && below > 0) {
          const dr = (pixels[i * 3] as number) - colour[0];
          const dg = (pixels[i * 3 + 1] as number) - colour[1];
          const db = (pixels[i * 3 + 2] as number) - colour[2];
          notSkin = 1 - below * (1 - smooth(NEAR, FAR, Math.sqrt(dr * dr + dg * dg + db * db)));
        }
        const value = Math.round(p * zone * notSkin * (1 - (region[i] as number) / 255));
        if (value > (out[i] as number)) out[i] = value;
      }
    }
  }
  return out;
}
