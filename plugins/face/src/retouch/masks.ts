/**
 * Face-region masks from detections, drawn as SVG and feathered with a Gaussian blur by libvips
 * (sharp), one byte per pixel (0..255): polygons of the 468-point mesh where a face has landmarks,
 * else ellipses placed from the box and the 6 keypoints.
 */
import sharp from "sharp";
import type { Face } from "../detect/detector.js";
import { FACE_OVAL, LEFT_BROW, LEFT_EYE, LIPS_INNER, LIPS_OUTER, RIGHT_BROW, RIGHT_EYE } from "../landmarks/regions.js";

/** `lips` and `teeth` need landmarks to be told apart; without them both are the mouth ellipse. */
export const MASK_KINDS = ["faces", "skin", "eyes", "mouth", "lips", "teeth"] as const;
export type FaceMaskKind = (typeof MASK_KINDS)[number];

interface Ellipse {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  angle: number;
}

function kp(face: Face, name: Face["keypoints"][number]["name"]) {
  const p = face.keypoints.find((k) => k.name === name);
  return p ?? { x: face.box.x + face.box.width / 2, y: face.box.y + face.box.height / 2 };
}

/** The face oval: the box reaches from the brows to the chin; the oval adds the forehead. */
export function faceEllipse(face: Face): Ellipse {
  const { x, y, width: w, height: h } = face.box;
  const re = kp(face, "rightEye");
  const le = kp(face, "leftEye");
  const angle = (Math.atan2(le.y - re.y, le.x - re.x) * 180) / Math.PI;
  return { cx: x + w / 2, cy: y + h * 0.42, rx: w * 0.5, ry: h * 0.66, angle };
}

export function eyeEllipses(face: Face): Ellipse[] {
  const w = face.box.width;
  const { angle } = faceEllipse(face);
  return (["rightEye", "leftEye"] as const).map((n) => {
    const p = kp(face, n);
    return { cx: p.x, cy: p.y, rx: w * 0.12, ry: w * 0.07, angle };
  });
}

export function mouthEllipse(face: Face): Ellipse {
  const w = face.box.width;
  const p = kp(face, "mouth");
  return { cx: p.x, cy: p.y, rx: w * 0.19, ry: w * 0.09, angle: faceEllipse(face).angle };
}

const svgEllipse = (e: Ellipse, fill: string) =>
  `<ellipse cx="${e.cx.toFixed(2)}" cy="${e.cy.toFixed(2)}" rx="${Math.max(0.5, e.rx).toFixed(2)}" ry="${Math.max(0.5, e.ry).toFixed(2)}" transform="rotate(${e.angle.toFixed(2)} ${e.cx.toFixed(2)} ${e.cy.toFixed(2)})" fill="${fill}"/>`;

function svgPolygon(points: readonly [number, number, number][], ring: readonly number[], fill: string, stroke = 0): string {
  const xy = ring.map((i) => `${(points[i] as [number, number, number])[0].toFixed(1)},${(points[i] as [number, number, number])[1].toFixed(1)}`).join(" ");
  // A stroke of the fill's colour widens the region by half of it (eyes and brows kept out of skin with a margin).
  return `<polygon points="${xy}" fill="${fill}"${stroke > 0 ? ` stroke="${fill}" stroke-width="${stroke.toFixed(2)}" stroke-linejoin="round"` : ""}/>`;
}

const svgOutline = (outline: readonly [number, number][], fill: string, attrs = "") =>
  `<polygon points="${outline.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ")}" fill="${fill}"${attrs}/>`;

/** The shapes of one face with landmarks. */
function meshShapes(f: Face, points: [number, number, number][], kind: FaceMaskKind): string[] {
  const w = f.box.width;
  const shapes: string[] = [];
  if (kind === "faces" || kind === "skin") shapes.push(svgPolygon(points, FACE_OVAL, "#fff"));
  if (kind === "skin") {
    for (const ring of [RIGHT_EYE, LEFT_EYE]) shapes.push(svgPolygon(points, ring, "#000", w * 0.06));
    for (const ring of [RIGHT_BROW, LEFT_BROW]) shapes.push(svgPolygon(points, ring, "#000", w * 0.03));
    shapes.push(svgPolygon(points, LIPS_OUTER, "#000", w * 0.03));
  }
  if (kind === "eyes") {
    // The iris model's outline hugs the lids more closely than the mesh's ring.
    if (f.landmarks?.irises) for (const e of f.landmarks.irises) shapes.push(svgOutline(e.outline, "#fff"));
    else for (const ring of [RIGHT_EYE, LEFT_EYE]) shapes.push(svgPolygon(points, ring, "#fff"));
  }
  if (kind === "mouth" || kind === "lips") shapes.push(svgPolygon(points, LIPS_OUTER, "#fff"));
  if (kind === "lips") shapes.push(svgPolygon(points, LIPS_INNER, "#000"));
  if (kind === "teeth") shapes.push(svgPolygon(points, LIPS_INNER, "#fff"));
  return shapes;
}

/**
 * A feathered mask of `kind` for the faces: `faces` (whole faces), `skin` (faces without eyes,
 * brows and mouth), `eyes`, `mouth` (lips and what is between them), `lips`, `teeth` (the opening
 * between the lips). `feather` scales the blur (1 = 6 % of the mean face width for faces and skin).
 */
export async function faceMask(faces: readonly Face[], width: number, height: number, kind: FaceMaskKind, feather = 1): Promise<Uint8Array> {
  if (faces.length === 0) return new Uint8Array(width * height);
  const shapes: string[] = [];
  for (const f of faces) {
    if (f.landmarks) {
      shapes.push(...meshShapes(f, f.landmarks.points, kind));
      continue;
    }
    if (kind === "faces" || kind === "skin") shapes.push(svgEllipse(faceEllipse(f), "#fff"));
    if (kind === "skin") {
      for (const e of eyeEllipses(f)) shapes.push(svgEllipse({ ...e, rx: e.rx * 1.25, ry: e.ry * 1.6 }, "#000"));
      const m = mouthEllipse(f);
      shapes.push(svgEllipse({ ...m, rx: m.rx * 1.1, ry: m.ry * 1.3 }, "#000"));
    }
    if (kind === "eyes") for (const e of eyeEllipses(f)) shapes.push(svgEllipse(e, "#fff"));
    if (kind === "mouth" || kind === "lips" || kind === "teeth") shapes.push(svgEllipse(mouthEllipse(f), "#fff"));
  }
  const meanWidth = faces.reduce((s, f) => s + f.box.width, 0) / faces.length;
  // Mesh polygons follow the features closely, so they get half the feather of the rough ellipses.
  const fine = faces.every((f) => f.landmarks) ? 0.5 : 1;
  const sigma = Math.max(0.3, meanWidth * (kind === "faces" || kind === "skin" ? 0.06 : 0.03 * fine) * feather);
  // With irises the eye outline is the lids' edge: feathered inwards only, so brightening stays off the lids.
  const inward = kind === "eyes" && faces.some((f) => f.landmarks?.irises);
  return drawMask(shapes.join(""), width, height, sigma, inward);
}

/** SVG shapes on black, rasterised and blurred by `sigma`; `inward`: the blur is kept inside the shapes only. */
async function drawMask(shapes: string, width: number, height: number, sigma: number, inward = false): Promise<Uint8Array> {
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#000"/>${shapes}</svg>`,
  );
  const hard = sharp(svg, { limitInputPixels: false }).resize(width, height, { fit: "fill" }).extractChannel(0);
  const data = await hard.clone().blur(sigma).raw().toBuffer();
  const mask = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (!inward) return mask;
  const edge = await hard.raw().toBuffer();
  for (let i = 0; i < mask.length; i++) if ((mask[i] as number) > (edge[i] as number)) mask[i] = edge[i] as number;
  return mask;
}

/**
 * The irises of faces that have them (discs clipped to their eye's outline: a lid may cover part
 * of one), feathered inwards like the eyes mask; all zero for faces without. Retouch uses it to
 * treat the iris apart from the whites.
 */
export async function irisMask(faces: readonly Face[], width: number, height: number): Promise<Uint8Array> {
  const shapes: string[] = [];
  let n = 0;
  for (const f of faces) {
    for (const e of f.landmarks?.irises ?? []) {
      const id = `eye${n++}`;
      shapes.push(
        `<clipPath id="${id}">${svgOutline(e.outline, "#fff")}</clipPath><circle cx="${e.x.toFixed(1)}" cy="${e.y.toFixed(1)}" r="${Math.max(0.5, e.radius).toFixed(2)}" fill="#fff" clip-path="url(#${id})"/>`,
      );
    }
  }
  if (shapes.length === 0) return new Uint8Array(width * height);
  const meanWidth = faces.reduce((s, f) => s + f.box.width, 0) / faces.length;
  return drawMask(shapes.join(""), width, height, Math.max(0.3, meanWidth * 0.008), true);
}
