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

/** Mulberry32: a tiny seeded PRNG with uniform output in [0, 1), enough to pick facesjs features. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A facesjs face drawn from `seed`: the same seed gives the same face on every run. facesjs draws
 * with the global Math.random and takes no seed, so a seeded one stands in for it during
 * `generate()` only (restored even if it throws); an unseeded face let BlazeFace find a different
 * number of faces from run to run.
 */
export function seededFace(seed: number, options: Parameters<typeof generate>[1] = {}): ReturnType<typeof generate> {
  const random = Math.random;
  Math.random = mulberry32(seed);
  try {
    return generate(undefined, { race: (["white", "asian", "brown", "black"] as const)[((seed % 4) + 4) % 4], ...options });
  } finally {
    Math.random = random;
  }
}

/** A photo-like scene: a soft gradient background with `faces` facesjs drawings of `size` px width at known places. */
export async function facesScene(
  width: number,
  height: number,
  placements: { x: number; y: number; size: number; seed?: number }[],
): Promise<{ image: Buffer; faces: Box[] }> {
  const layers: OverlayOptions[] = [];
  const faces: Box[] = [];
  for (const [i, p] of placements.entries()) {
    const face = seededFace(p.seed ?? i);
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

export interface PersonScene {
  image: Buffer;
  /** The face in the drawing (brows to chin), as `facesScene` gives it. */
  face: Box;
  /** The drawn subject (head, hair, ears, neck, shoulders): 255 inside, 0 outside, one byte per pixel. */
  person: Uint8Array;
  /** The drawn hair: pixels of the hair's colour outside the face's box and above its chin (eyebrows and beard, drawn in the same colour, are left out). */
  hair: Uint8Array;
}

/**
 * A head-and-shoulders subject (facesjs draws the body and shirt too) on a plain background, with
 * its silhouette and its hair as ground truth, taken from the drawing itself: the drawing's alpha,
 * and pixels of the hair colour (`hair`, one no other part of the drawing uses).
 */
export async function personScene(
  width: number,
  height: number,
  p: { x: number; y: number; size: number; seed?: number; hair?: string; background?: string },
): Promise<PersonScene> {
  const hairColour = p.hair ?? "#6b3a1e";
  const face = seededFace(p.seed ?? 0);
  face.hair.color = hairColour;
  const svg = faceToSvgString(face).replace('width="100%" height="100%"', `width="${p.size}" height="${Math.round(p.size * 1.5)}"`);
  const drawing = await sharp(Buffer.from(svg)).ensureAlpha().png().toBuffer();
  const layer = [{ input: drawing, left: p.x, top: p.y }];
  const { data, info } = await sharp({ create: { width, height, channels: 4, background: "#00000000" } })
    .composite(layer)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const box: Box = {
    x: p.x + FACE_IN_DRAWING.x * p.size,
    y: p.y + FACE_IN_DRAWING.y * p.size * 1.5,
    width: FACE_IN_DRAWING.width * p.size,
    height: FACE_IN_DRAWING.height * p.size * 1.5,
  };
  const want = [1, 3, 5].map((o) => Number.parseInt(hairColour.slice(o, o + 2), 16)) as [number, number, number];
  const person = new Uint8Array(width * height);
  const hair = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    if ((data[i * info.channels + 3] as number) <= 128) continue;
    person[i] = 255;
    const x = i % width;
    const y = Math.floor(i / width);
    const inFace = x >= box.x && x < box.x + box.width && y >= box.y;
    if (inFace || y >= box.y + box.height) continue;
    const d = Math.hypot((data[i * 4] as number) - want[0], (data[i * 4 + 1] as number) - want[1], (data[i * 4 + 2] as number) - want[2]);
    if (d < 30) hair[i] = 255;
  }
  const image = await sharp({ create: { width, height, channels: 3, background: p.background ?? "#c8d4dc" } })
    .composite(layer)
    .jpeg({ quality: 92 })
    .toBuffer();
  return { image, face: box, person, hair };
}
