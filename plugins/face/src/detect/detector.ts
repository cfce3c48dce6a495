import type { ModelRunOptions, PluginModels } from "@crealia/kernel/sdk";
import type { RgbImage } from "../image.js";
import { type Anchor, ssdAnchors } from "./anchors.js";
import { decodeDetections, iou, KEYPOINTS, type KeypointName, type RawDetection, weightedNms } from "./decode.js";
import { letterboxTensor, toImage } from "./preprocess.js";

export const FACE_MODELS = {
  "blazeface-front": { inputSize: 128, strides: [8, 16, 16, 16] },
  "blazeface-back": { inputSize: 256, strides: [16, 32, 32, 32] },
} as const;
export type FaceModelId = keyof typeof FACE_MODELS;

/** `front`: selfies and portraits; `back`: smaller faces, group photos; `auto`: both, merged. */
export type FaceModelChoice = "front" | "back" | "auto";

export function modelIds(choice: FaceModelChoice): FaceModelId[] {
  return choice === "front" ? ["blazeface-front"] : choice === "back" ? ["blazeface-back"] : ["blazeface-front", "blazeface-back"];
}

export interface Face {
  /** In image pixels of the upright image. */
  box: { x: number; y: number; width: number; height: number };
  score: number;
  keypoints: { name: KeypointName; x: number; y: number }[];
}

export interface DetectionRun {
  faces: Face[];
  width: number;
  height: number;
  runs: { model: FaceModelId; device: string; fallback: string | null; faces: number }[];
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
}

export interface DetectOptions {
  model?: FaceModelChoice;
  minScore?: number;
  /** IoU above which detections are merged (MediaPipe: 0.3). */
  nmsThreshold?: number;
  run?: ModelRunOptions;
}

const anchorCache = new Map<FaceModelId, Anchor[]>();
function anchorsFor(id: FaceModelId): Anchor[] {
  let a = anchorCache.get(id);
  if (!a) {
    const spec = FACE_MODELS[id];
    a = ssdAnchors({ inputSize: spec.inputSize, strides: spec.strides });
    anchorCache.set(id, a);
  }
  return a;
}

function concat(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a as ArrayLike<number>, 0);
  out.set(b as ArrayLike<number>, a.length);
  return out;
}

/** Runs BlazeFace through `ctx.models` and gives faces in image pixels, best first. */
export async function detectFaces(models: Pick<PluginModels, "run">, img: RgbImage, options: DetectOptions = {}): Promise<DetectionRun> {
  const timings = { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 };
  const runs: DetectionRun["runs"] = [];
  const all: RawDetection[] = [];
  for (const id of modelIds(options.model ?? "auto")) {
    const spec = FACE_MODELS[id];
    let t = performance.now();
    const { data, box } = await letterboxTensor(img, spec.inputSize);
    timings.preprocessMs += performance.now() - t;
    t = performance.now();
    const result = await models.run(id, { "input:0": { type: "float32", data, dims: [1, spec.inputSize, spec.inputSize, 3] } }, options.run);
    timings.inferenceMs += performance.now() - t;
    t = performance.now();
    const o = result.outputs;
    const scores = concat(o["Identity:0"]?.data as Float32Array, o["Identity_1:0"]?.data as Float32Array);
    const boxes = concat(o["Identity_2:0"]?.data as Float32Array, o["Identity_3:0"]?.data as Float32Array);
    const found = weightedNms(decodeDetections(scores, boxes, anchorsFor(id), { inputSize: spec.inputSize, minScore: options.minScore }), options.nmsThreshold);
    runs.push({ model: id, device: result.device, fallback: result.fallback, faces: found.length });
    for (const d of found) {
      const tl = toImage(box, d.x, d.y);
      const br = toImage(box, d.x + d.width, d.y + d.height);
      const kps = d.keypoints.map((p) => toImage(box, p.x, p.y));
      all.push({ x: tl.x, y: tl.y, width: br.x - tl.x, height: br.y - tl.y, score: d.score, keypoints: kps });
    }
    timings.postprocessMs += performance.now() - t;
  }
  // Detections of the two models in image pixels: merge the same face found by both.
  const merged = runs.length > 1 ? weightedNms(all, options.nmsThreshold) : all;
  const faces = merged.map((d) => toFace(d, img.width, img.height)).filter((f) => f.box.width > 1 && f.box.height > 1);
  return { faces, width: img.width, height: img.height, runs, timings: roundTimings(timings) };
}

function roundTimings<T extends Record<string, number>>(t: T): T {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 100) / 100])) as T;
}

function toFace(d: RawDetection, width: number, height: number): Face {
  const x0 = Math.max(0, d.x);
  const y0 = Math.max(0, d.y);
  const x1 = Math.min(width, d.x + d.width);
  const y1 = Math.min(height, d.y + d.height);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    box: { x: r(x0), y: r(y0), width: r(x1 - x0), height: r(y1 - y0) },
    score: Math.round(d.score * 1000) / 1000,
    keypoints: d.keypoints.map((p, k) => ({ name: KEYPOINTS[k] as KeypointName, x: r(p.x), y: r(p.y) })),
  };
}

export { iou };
