/**
 * Geometry of a render: flips, a rotation (quarter turns plus the straighten angle), the crop and
 * the output size, planned in the pixels of the full-size oriented photo. libvips runs it as one
 * pipeline (flip → rotate → extract → resize); the colour pass maps each output pixel back to the
 * photo with `toSource` so masks stay on the content they were drawn on.
 */
import { ASPECTS, type Recipe } from "../recipe/schema.js";

export interface Size {
  width: number;
  height: number;
}

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Output pixel (x + 0.5, y + 0.5) → photo pixel: u = a·x + b·y + c, v = d·x + e·y + f (full-size pixels). */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

export interface GeometryPlan {
  source: Size;
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** Clockwise degrees: quarter turns plus straighten. */
  angle: number;
  /** The rotated canvas libvips makes (full-size pixels). */
  canvas: Size;
  /** The part of the canvas kept, in full-size pixels (fractional). */
  extract: Rect;
  /** True when the plan is the whole photo untouched. */
  identity: boolean;
}

/** Output size limits: an exact platform size (never enlarged), or a box, long edge and megapixels. */
export interface SizeLimits {
  exact?: Size;
  maxWidth?: number;
  maxHeight?: number;
  longEdge?: number;
  megapixels?: number;
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Trims a rectangle about its centre to `aspect` (width ÷ height). */
export function fitAspect(r: Rect, aspect: number): Rect {
  const current = r.width / r.height;
  if (Math.abs(current - aspect) < 1e-6) return r;
  if (current > aspect) {
    const width = r.height * aspect;
    return { left: r.left + (r.width - width) / 2, top: r.top, width, height: r.height };
  }
  const height = r.width / aspect;
  return { left: r.left, top: r.top + (r.height - height) / 2, width: r.width, height };
}

/**
 * Plans the geometry of `recipe.geometry` on a photo of `source` size (after EXIF orientation).
 * Straightening crops to the largest rectangle of the frame's aspect inside the rotated photo
 * (no empty corners); the recipe's crop is a fraction of that rectangle. `forceAspect` (a
 * platform's) trims the result about its centre.
 */
export function planGeometry(source: Size, g: Recipe["geometry"], forceAspect?: number): GeometryPlan {
  const quarter = g.rotate === 90 || g.rotate === 270;
  const frame = quarter ? { width: source.height, height: source.width } : { ...source };
  const angle = g.rotate + g.straighten;
  const t = rad(Math.abs(g.straighten));
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const total = rad(angle);
  const canvas = {
    width: Math.round(Math.abs(source.width * Math.cos(total)) + Math.abs(source.height * Math.sin(total))),
    height: Math.round(Math.abs(source.width * Math.sin(total)) + Math.abs(source.height * Math.cos(total))),
  };
  // Largest centred rectangle with the frame's aspect inside the rotated frame.
  const aspect = frame.width / frame.height;
  const w = Math.min(frame.width / (cos + sin / aspect), frame.height / (sin + cos / aspect));
  const inner =
    g.straighten === 0 ? { width: canvas.width, height: canvas.height } : { width: Math.min(w, canvas.width), height: Math.min(w / aspect, canvas.height) };
  let extract: Rect = { left: (canvas.width - inner.width) / 2, top: (canvas.height - inner.height) / 2, width: inner.width, height: inner.height };
  const crop = g.crop;
  if (crop) {
    extract = {
      left: extract.left + crop.x * extract.width,
      top: extract.top + crop.y * extract.height,
      width: crop.width * extract.width,
      height: crop.height * extract.height,
    };
    const want = crop.aspect === "original" ? source.width / source.height : ASPECTS[crop.aspect];
    if (want) extract = fitAspect(extract, want);
  }
  if (forceAspect) extract = fitAspect(extract, forceAspect);
  const identity =
    !g.flipHorizontal &&
    !g.flipVertical &&
    angle % 360 === 0 &&
    Math.abs(extract.left) < 1e-6 &&
    Math.abs(extract.top) < 1e-6 &&
    Math.abs(extract.width - source.width) < 1e-6 &&
    Math.abs(extract.height - source.height) < 1e-6;
  return { source, flipHorizontal: g.flipHorizontal, flipVertical: g.flipVertical, angle, canvas, extract, identity };
}

/** The output size for a plan under limits: the extract's aspect, never larger than the extract. */
export function outputSize(plan: GeometryPlan, limits: SizeLimits): Size {
  const ex = plan.extract;
  let scale = 1;
  if (limits.exact) scale = Math.min(scale, limits.exact.width / ex.width, limits.exact.height / ex.height);
  if (limits.maxWidth) scale = Math.min(scale, limits.maxWidth / ex.width);
  if (limits.maxHeight) scale = Math.min(scale, limits.maxHeight / ex.height);
  if (limits.longEdge) scale = Math.min(scale, limits.longEdge / Math.max(ex.width, ex.height));
  if (limits.megapixels) scale = Math.min(scale, Math.sqrt((limits.megapixels * 1e6) / (ex.width * ex.height)));
  if (limits.exact && scale >= Math.min(limits.exact.width / ex.width, limits.exact.height / ex.height) - 1e-9) {
    return { width: limits.exact.width, height: limits.exact.height };
  }
  return { width: Math.max(1, Math.round(ex.width * scale)), height: Math.max(1, Math.round(ex.height * scale)) };
}

/** The affine map from output pixels to full-size photo pixels (for masks drawn on the photo). */
export function toSource(plan: GeometryPlan, out: Size): Affine {
  const ex = plan.extract;
  const sx = ex.width / out.width;
  const sy = ex.height / out.height;
  // output → canvas: cx = ex.left + (x + 0.5)·sx ; cy = ex.top + (y + 0.5)·sy
  // canvas → frame before rotation (rotating back by -angle about the centres)
  const th = rad(plan.angle);
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const W = plan.source.width;
  const H = plan.source.height;
  // u' = cos·dx + sin·dy + W/2 ; v' = -sin·dx + cos·dy + H/2, with dx = cx - canvas.w/2, dy = cy - canvas.h/2
  const ox = ex.left + 0.5 * sx - plan.canvas.width / 2;
  const oy = ex.top + 0.5 * sy - plan.canvas.height / 2;
  let a = cos * sx;
  let b = sin * sy;
  let c = cos * ox + sin * oy + W / 2;
  let d = -sin * sx;
  let e = cos * sy;
  let f = -sin * ox + cos * oy + H / 2;
  // Flips happen before the rotation: undo them last.
  if (plan.flipHorizontal) {
    a = -a;
    b = -b;
    c = W - c;
  }
  if (plan.flipVertical) {
    d = -d;
    e = -e;
    f = H - f;
  }
  return { a, b, c, d, e, f };
}
