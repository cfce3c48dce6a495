/**
 * Iris centre, radius and a finer eye outline per eye with MediaPipe Iris (`iris`, a tfjs graph run
 * by the kernel). Each eye is cut from the image as a square around its two corners in the face
 * mesh, turned with the line through them and 2.3 times as wide, resampled to 64×64. The model
 * was trained on one eye's shape: the subject's left eye is mirrored in and its points mirrored
 * back (checked on the test portraits: mirrored the other way round, its outline lands ~20 px off).
 */
import type { ModelRunOptions, PluginModels } from "@crealia/kernel/sdk";
import type { Face } from "../detect/detector.js";
import type { RgbImage } from "../image.js";
import { type CropSquare, cropTensor, fromCrop } from "./crop.js";
import type { LandmarkTimings } from "./facemesh.js";

export const IRIS_MODEL = "iris";
const SIZE = 64;
/** The crop's side per corner-to-corner distance (MediaPipe's eye ROI scale). */
const EYE_ROI_SCALE = 2.3;
/** The model gives 71 eye-contour points, then 5 iris points: the centre, then 4 on its rim. */
const IRIS_FIRST = 71;
/** Its lid contour (points 0–8 along the lower lid, 9–15 along the upper) in the mesh's eye-ring order. */
const OUTLINE = [0, 9, 10, 11, 12, 13, 14, 15, 8, 7, 6, 5, 4, 3, 2, 1];

/** The subject's eyes: mesh indices of the corners, left (in the image) first. */
const EYES = [
  { eye: "right", corners: [33, 133], mirror: false },
  { eye: "left", corners: [362, 263], mirror: true },
] as const;

export interface EyeIris {
  eye: "right" | "left";
  /** Iris centre and radius in image pixels. */
  x: number;
  y: number;
  radius: number;
  /** The eye opening (16 points `[x, y]`, the same order as the mesh's eye ring), tighter to the lids than the mesh's. */
  outline: [number, number][];
}

/** The square the iris model looks at for one eye. */
export function eyeCrop(points: readonly [number, number, number][], corners: readonly [number, number]): CropSquare {
  const a = points[corners[0]] as [number, number, number];
  const b = points[corners[1]] as [number, number, number];
  return {
    cx: (a[0] + b[0]) / 2,
    cy: (a[1] + b[1]) / 2,
    side: Math.hypot(b[0] - a[0], b[1] - a[1]) * EYE_ROI_SCALE,
    angle: Math.atan2(b[1] - a[1], b[0] - a[0]),
  };
}

function mirrorRows(t: Float32Array, size: number): void {
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size / 2; u++) {
      for (let c = 0; c < 3; c++) {
        const i = (v * size + u) * 3 + c;
        const j = (v * size + size - 1 - u) * 3 + c;
        const keep = t[i] as number;
        t[i] = t[j] as number;
        t[j] = keep;
      }
    }
  }
}

/** Runs the iris model on both eyes of each face with a mesh and gives the faces back with `landmarks.irises` set. */
export async function irisFaces(
  models: Pick<PluginModels, "run">,
  img: RgbImage,
  faces: readonly Face[],
  run?: ModelRunOptions,
): Promise<{ faces: Face[]; timings: LandmarkTimings; device: string | null; fallback: string | null }> {
  const timings = { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 };
  let device: string | null = null;
  let fallback: string | null = null;
  const r = (v: number) => Math.round(v * 10) / 10;
  const out: Face[] = [];
  for (const face of faces) {
    if (!face.landmarks) {
      out.push(face);
      continue;
    }
    const irises: EyeIris[] = [];
    for (const { eye, corners, mirror } of EYES) {
      let t = performance.now();
      const sq = eyeCrop(face.landmarks.points, corners);
      const data = cropTensor(img, sq, SIZE);
      if (mirror) mirrorRows(data, SIZE);
      timings.preprocessMs += performance.now() - t;
      t = performance.now();
      const result = await models.run(IRIS_MODEL, { input_1: { type: "float32", data, dims: [1, SIZE, SIZE, 3] } }, run);
      timings.inferenceMs += performance.now() - t;
      t = performance.now();
      device = result.device;
      fallback = result.fallback;
      const o = result.outputs["Identity:0"]?.data as Float32Array;
      const at = (k: number) => fromCrop(sq, SIZE, mirror ? SIZE - (o[k * 3] as number) : (o[k * 3] as number), o[k * 3 + 1] as number);
      const c = at(IRIS_FIRST);
      let rim = 0;
      for (let k = 1; k <= 4; k++) {
        const p = at(IRIS_FIRST + k);
        rim += Math.hypot(p.x - c.x, p.y - c.y) / 4;
      }
      const outline = OUTLINE.map((k): [number, number] => {
        const p = at(k);
        return [r(p.x), r(p.y)];
      });
      irises.push({ eye, x: r(c.x), y: r(c.y), radius: r(rim), outline });
      timings.postprocessMs += performance.now() - t;
    }
    out.push({ ...face, landmarks: { ...face.landmarks, irises } });
  }
  return { faces: out, timings, device, fallback };
}
