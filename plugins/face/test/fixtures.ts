import { faceToSvgString, generate } from "facesjs";
import sharp, { type OverlayOptions } from "sharp";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where the face (brows to chin, cheek to cheek) sits in facesjs's 400×600 drawing, as fractions:
 * measured once from the drawings' head shapes; the drawn head is wider (ears) and taller (hair).
 */
export const FACE_IN_DRAWING = { x: 0.14, y: 0.37, width: 0.7, height: 0.47 };

/** A photo-like scene: a soft gradient background with `faces` facesjs drawings of `size` px width at known places. */
export async function facesScene(
  width: number,
  height: number,
  placements: { x: number; y: number; size: number; seed?: number }[],
): Promise<{ image: Buffer; faces: Box[] }> {
  const layers: OverlayOptions[] = [];
  const faces: Box[] = [];
  for (const [i, p] of placements.entries()) {
    const face = generate(undefined, { race: (["white", "asian", "brown", "black"] as const)[(p.seed ?? i) % 4] });
    const svg = faceToSvgString(face).replace('width="100%" height="100%"', `width="${p.size}" height="${Math.round(p.size * 1.5)}"`);
    layers.push({ input: await sharp(Buffer.from(svg)).png().toBuffer(), left: p.x, top: p.y });
    faces.push({
      x: p.x + FACE_IN_DRAWING.x * p.size,
      y: p.y + FACE_IN_DRAWING.y * p.size * 1.5,
      width: FACE_IN_DRAWING.width * p.size,
      height: FACE_IN_DRAWING.height * p.size * 1.5,
    });
  }
  const bg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#9db4c8"/><stop offset="1" stop-color="#d9cbb5"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`,
  );
  const image = await sharp(bg).composite(layers).jpeg({ quality: 90 }).toBuffer();
  return { image, faces };
}
