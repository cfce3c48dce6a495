/**
 * Zoom and pan of the editor canvas. A view maps image pixels to screen pixels:
 * `screen = image * scale + offset`. Pure functions, tested on their own.
 */
export interface View {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 32;

export const clampScale = (s: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));

/** The view that shows the whole image centred in the viewport, never enlarged past 100%. */
export function fitView(imageW: number, imageH: number, viewW: number, viewH: number, padding = 24): View {
  if (imageW <= 0 || imageH <= 0 || viewW <= 0 || viewH <= 0) return { scale: 1, x: 0, y: 0 };
  const scale = clampScale(Math.min(1, (viewW - padding * 2) / imageW, (viewH - padding * 2) / imageH));
  return { scale, x: (viewW - imageW * scale) / 2, y: (viewH - imageH * scale) / 2 };
}

/** Zooms by `factor` keeping the image point under (px, py) where it is on screen. */
export function zoomAt(view: View, factor: number, px: number, py: number): View {
  const scale = clampScale(view.scale * factor);
  const k = scale / view.scale;
  return { scale, x: px - (px - view.x) * k, y: py - (py - view.y) * k };
}

/** Sets an absolute zoom (1 = 100%) about the viewport point (px, py). */
export function zoomTo(view: View, scale: number, px: number, py: number): View {
  return zoomAt(view, clampScale(scale) / view.scale, px, py);
}

/**
 * Moves the view by (dx, dy), keeping at least `keep` px of the image inside the viewport so it
 * can never be lost off-screen.
 */
export function panBy(view: View, dx: number, dy: number, image: { w: number; h: number }, viewport: { w: number; h: number }, keep = 48): View {
  const w = image.w * view.scale;
  const h = image.h * view.scale;
  const x = Math.min(viewport.w - Math.min(keep, w), Math.max(Math.min(keep, w) - w, view.x + dx));
  const y = Math.min(viewport.h - Math.min(keep, h), Math.max(Math.min(keep, h) - h, view.y + dy));
  return { scale: view.scale, x, y };
}

/** Wheel delta (pixels, as browsers report with deltaMode 0) to a zoom factor; smooth for trackpads and wheels alike. */
export function wheelFactor(deltaY: number): number {
  return Math.exp(-Math.max(-100, Math.min(100, deltaY)) * 0.0025);
}

/** The image point under a screen point. */
export function toImage(view: View, px: number, py: number): { x: number; y: number } {
  return { x: (px - view.x) / view.scale, y: (py - view.y) / view.scale };
}

/** "37%", "100%", "1 600%": how the zoom reads in the toolbar. */
export function zoomLabel(scale: number): string {
  return `${Math.round(scale * 100)}%`;
}
