import sharp from "sharp";

/**
 * A photo-like product shot: a shaded orange ball (radial gradient, highlight) with a soft
 * contact shadow on a light, slightly graded studio backdrop. Returns the image and the ball's
 * exact disc (centre and radius) for scoring.
 */
export async function productScene(width = 640, height = 480): Promise<{ image: Buffer; disc: { cx: number; cy: number; r: number } }> {
  const r = Math.round(Math.min(width, height) * 0.28);
  const cx = Math.round(width / 2);
  const cy = Math.round(height * 0.48);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#eef0f3"/><stop offset="1" stop-color="#d5d9de"/></linearGradient>
    <radialGradient id="ball" cx="0.38" cy="0.32" r="0.75"><stop offset="0" stop-color="#ffd27a"/><stop offset="0.45" stop-color="#f07a1a"/><stop offset="1" stop-color="#7a2c05"/></radialGradient>
    <radialGradient id="shadow"><stop offset="0" stop-color="#000" stop-opacity="0.35"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/>
  <ellipse cx="${cx}" cy="${cy + r * 0.98}" rx="${r * 0.9}" ry="${r * 0.16}" fill="url(#shadow)"/>
  <circle cx="${cx}" cy="${cy}" r="${r}" fill="url(#ball)"/>
</svg>`;
  const image = await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
  return { image, disc: { cx, cy, r } };
}

/** Mean alpha (0..1) inside the disc (shrunk by `margin` px) and outside it (grown by `margin`), and the IoU of alpha > 0.5 with the disc. */
export function scoreAlpha(alpha: Uint8Array, width: number, height: number, disc: { cx: number; cy: number; r: number }, margin = 4) {
  let inSum = 0;
  let inN = 0;
  let outSum = 0;
  let outN = 0;
  let inter = 0;
  let union = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x + 0.5 - disc.cx, y + 0.5 - disc.cy);
      const a = (alpha[y * width + x] as number) / 255;
      if (d < disc.r - margin) {
        inSum += a;
        inN++;
      } else if (d > disc.r + margin) {
        outSum += a;
        outN++;
      }
      const truth = d <= disc.r;
      const pred = a > 0.5;
      if (truth && pred) inter++;
      if (truth || pred) union++;
    }
  }
  return { inside: inSum / inN, outside: outSum / outN, iou: inter / union };
}
