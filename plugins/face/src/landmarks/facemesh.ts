/**
 * 468 face landmarks per detected face with MediaPipe Face Mesh (`facemesh`, a tfjs graph run by
 * the kernel): each face's box, turned upright by its eye line and widened to take in forehead and
 * chin as MediaPipe does, is resampled to 192×192; the points come back in image pixels.
 */
import type { ModelRunOptions, PluginModels } from "@crealia/kernel/sdk";
import type { Face } from "../detect/detector.js";
import type { RgbImage } from "../image.js";
import { type CropSquare, cropTensor, fromCrop } from "./crop.js";
import type { EyeIris } from "./iris.js";
import { MESH_POINTS } from "./regions.js";

export const FACEMESH_MODEL = "facemesh";
const SIZE = 192;
/** The crop's side per longest side of the detector's box (MediaPipe's ROI scale for the mesh). */
const ROI_SCALE = 1.5;

export interface FaceLandmarks {
  /** Probability (0..1) that the crop held a face: low when the detection was not one. */
  score: number;
  /** 468 points `[x, y, z]`, x and y in image pixels, z depth relative to the face centre on the same scale. */
  points: [number, number, number][];
  /** Both eyes' irises (right, left), when the `iris` model ran (see iris.ts). */
  irises?: EyeIris[];
}

export interface LandmarkTimings {
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

/** The square the mesh looks at for a face: the box's centre, rotated by the eye line. */
export function meshCrop(face: Face): CropSquare {
  const re = face.keypoints.find((k) => k.name === "rightEye");
  const le = face.keypoints.find((k) => k.name === "leftEye");
  const angle = re && le ? Math.atan2(le.y - re.y, le.x - re.x) : 0;
  const { x, y, width, height } = face.box;
  return { cx: x + width / 2, cy: y + height / 2, side: Math.max(width, height) * ROI_SCALE, angle };
}

/** Runs the mesh on each face (in order) and gives the faces back with `landmarks` set. */
export async function landmarkFaces(
  models: Pick<PluginModels, "run">,
  img: RgbImage,
  faces: readonly Face[],
  run?: ModelRunOptions,
): Promise<{ faces: Face[]; timings: LandmarkTimings; device: string | null; fallback: string | null }> {
  const timings = { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 };
  let device: string | null = null;
  let fallback: string | null = null;
  const out: Face[] = [];
  for (const face of faces) {
    let t = performance.now();
    const sq = meshCrop(face);
    const data = cropTensor(img, sq, SIZE);
    timings.preprocessMs += performance.now() - t;
    t = performance.now();
    const result = await models.run(FACEMESH_MODEL, { input_1: { type: "float32", data, dims: [1, SIZE, SIZE, 3] } }, run);
    timings.inferenceMs += performance.now() - t;
    t = performance.now();
    device = result.device;
    fallback = result.fallback;
    const mesh = result.outputs.output_mesh?.data as Float32Array;
    const flag = result.outputs.output_faceflag?.data as Float32Array;
    const r = (v: number) => Math.round(v * 10) / 10;
    const points: [number, number, number][] = [];
    for (let i = 0; i < MESH_POINTS; i++) {
      const p = fromCrop(sq, SIZE, mesh[i * 3] as number, mesh[i * 3 + 1] as number);
      points.push([r(p.x), r(p.y), r(((mesh[i * 3 + 2] as number) * sq.side) / SIZE)]);
    }
    out.push({ ...face, landmarks: { score: Math.round((flag[0] as number) * 1000) / 1000, points } });
    timings.postprocessMs += performance.now() - t;
  }
  return { faces: out, timings, device, fallback };
}
