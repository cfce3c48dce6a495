/**
 * Masks of local adjustments. Gradients are functions of the photo position (full-size pixels,
 * so they stick to the content through crops and rotations); masks from other plugins arrive as
 * bitmaps already transformed into the output's geometry.
 */
import type { LinearMask, RadialMask } from "../recipe/schema.js";
import type { Size } from "./geometry.js";

/** A gradient mask as data (what crosses to a render thread); `positionWeight` makes its function. */
export type PositionMask = { type: "linear"; mask: LinearMask; photo: Size } | { type: "radial"; mask: RadialMask; photo: Size };

export type MaskSampler =
  | { kind: "position"; spec: PositionMask }
  /** One byte per output pixel, 0 (no effect) to 255 (full). */
  | { kind: "bitmap"; data: Uint8Array };

export const linearMask = (mask: LinearMask, photo: Size): MaskSampler => ({ kind: "position", spec: { type: "linear", mask, photo } });
export const radialMask = (mask: RadialMask, photo: Size): MaskSampler => ({ kind: "position", spec: { type: "radial", mask, photo } });

/** The weight function of a gradient mask: photo position (full-size pixels) → 0..1. */
export function positionWeight(p: PositionMask): (u: number, v: number) => number {
  return p.type === "linear" ? linearWeight(p.mask, p.photo) : radialWeight(p.mask, p.photo);
}

function smoothstep(x: number): number {
  const t = x < 0 ? 0 : Math.min(x, 1);
  return t * t * (3 - 2 * t);
}

/** Full effect at (x1, y1), none at (x2, y2), a smooth ramp between, constant across. */
function linearWeight(m: LinearMask, photo: Size): (u: number, v: number) => number {
  const x1 = m.x1 * photo.width;
  const y1 = m.y1 * photo.height;
  const dx = m.x2 * photo.width - x1;
  const dy = m.y2 * photo.height - y1;
  const len2 = dx * dx + dy * dy || 1;
  const inv = m.invert;
  return (u, v) => {
    const w = 1 - smoothstep(((u - x1) * dx + (v - y1) * dy) / len2);
    return inv ? 1 - w : w;
  };
}

/** Full effect inside the feathered edge of an ellipse, none outside (inverted: the other way round). */
function radialWeight(m: RadialMask, photo: Size): (u: number, v: number) => number {
  const cx = m.cx * photo.width;
  const cy = m.cy * photo.height;
  const rx = m.rx * photo.width;
  const ry = m.ry * photo.height;
  const t = (m.angle * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const inner = 1 - Math.max(0.001, m.feather / 100);
  const inv = m.invert;
  return (u, v) => {
    const x = u - cx;
    const y = v - cy;
    const a = (x * cos + y * sin) / rx;
    const b = (-x * sin + y * cos) / ry;
    const d = Math.sqrt(a * a + b * b);
    const w = 1 - smoothstep((d - inner) / (1 - inner));
    return inv ? 1 - w : w;
  };
}

export function bitmapMask(data: Uint8Array, invert: boolean): MaskSampler {
  if (!invert) return { kind: "bitmap", data };
  const out = new Uint8Array(new SharedArrayBuffer(data.length));
  for (let i = 0; i < data.length; i++) out[i] = 255 - (data[i] as number);
  return { kind: "bitmap", data: out };
}
