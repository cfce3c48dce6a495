import type { ModelRunOptions, PluginModels } from "@crealia/kernel/sdk";
import type { RgbImage } from "../image.js";
import type { FaceLandmarks } from "../landmarks/facemesh.js";
import { type Anchor, ssdAnchors } from "./anchors.js";
import { decodeDetections, iou, KEYPOINTS, type KeypointName, type RawDetection, weightedNms } from "./decode.js";
import { letterboxTensor, toImage } from "./preprocess.js";

export const FACE_MODELS = {
  "blazeface-front": { inputSize: 128, strides: [8, 16, 16, 16] },
  "blazeface-back": { inputSize: 256, strides: [16, 32, 32, 32] },
} as const;
export type FaceModelId = keyof typeof FACE_MODELS;

/** `front`: selfies and portraits; `back`: smaller faces, group photos; `auto`: those fetched (both, merged, when both are). */
export type FaceModelChoice = "front" | "back" | "auto";

/** Every model the choice may run; `auto` runs the fetched ones among them (service.ts `detectorModels`). */
export function modelIds(choice: FaceModelChoice): FaceModelId[] {
  return choice === "front" ? ["blazeface-front"] : choice === "back" ? ["blazeface-back"] : ["blazeface-front", "blazeface-back"];
}

export interface Face {
  /** In image pixels of the upright image. */
  box: { x: number; y: number; width: number; height: number };
  score: number;
  keypoints: { name: KeypointName; x: number; y: number }[];
  /** The 468-point mesh, when landmarks were asked for (see landmarks/facemesh.ts). */
  landmarks?: FaceLandmarks;
}

export interface DetectionRun {
  faces: Face[];
  width: number;
  height: number;
  /** `windows`: how many panorama windows the model ran on besides the whole image (absent when none). */
  runs: { model: FaceModelId | "facemesh" | "iris"; device: string; fallback: string | null; faces: number; windows?: number }[];
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
}

export interface DetectOptions {
  model?: FaceModelChoice;
  /** The detector models to run (default: all of the choice's); `auto` passes the fetched ones. */
  ids?: readonly FaceModelId[];
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

/** Images longer than this many times their short side are also searched in windows (see `panoramaWindows`). */
export const PANORAMA_ASPECT = 2.5;
/** At most about this many windows per model: a longer image gets windows longer than its short side. */
const MAX_WINDOWS = 96;

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Windows for a panorama. Letterboxed whole into a 128 or 256 px square, a 20 000×400 image
 * leaves each face a pixel or two, so along its long side it is also cut into windows as long as
 * its short side (longer when that would make more than ~96), overlapping by half: every face up
 * to half a window wide lies whole in one of them. Empty for ordinary aspect ratios.
 */
export function panoramaWindows(width: number, height: number): Region[] {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (short < 1 || long / short <= PANORAMA_ASPECT) return [];
  const side = Math.max(short, Math.ceil(long / (MAX_WINDOWS / 2)));
  const stride = Math.max(1, Math.floor(side / 2));
  const starts: number[] = [];
  for (let s = 0; s + side < long; s += stride) starts.push(s);
  starts.push(long - side);
  const horizontal = width >= height;
  return starts.map((s) => (horizontal ? { x: s, y: 0, width: side, height } : { x: 0, y: s, width, height: side }));
}

function crop(img: RgbImage, r: Region): RgbImage {
  const pixels = new Uint8Array(r.width * r.height * 3);
  for (let row = 0; row < r.height; row++) {
    const from = ((r.y + row) * img.width + r.x) * 3;
    pixels.set(img.pixels.subarray(from, from + r.width * 3), row * r.width * 3);
  }
  return { pixels, width: r.width, height: r.height };
}

/** Whether a detection (image pixels) touches a side of its window that is not the image's edge: a face cut by the window, found whole in a neighbour. */
function cutByWindow(d: RawDetection, r: Region, img: RgbImage): boolean {
  const margin = Math.max(1, Math.min(r.width, r.height) * 0.02);
  return (
    (r.x > 0 && d.x < r.x + margin) ||
    (r.y > 0 && d.y < r.y + margin) ||
    (r.x + r.width < img.width && d.x + d.width > r.x + r.width - margin) ||
    (r.y + r.height < img.height && d.y + d.height > r.y + r.height - margin)
  );
}

/**
 * Windows see a face at many offsets, and at some of them BlazeFace also fires on a part of it
 * (a mouth, a brow) as a small face of its own; IoU-based NMS keeps such a box, as it overlaps the
 * whole face's box by little area. Faces do not nest: a detection lying mostly (> 50 % of its
 * area) inside one that scored at least as well is dropped. Used for panorama windows only.
 */
export function dropNested(detections: readonly RawDetection[]): RawDetection[] {
  const kept: RawDetection[] = [];
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    const inside = kept.some((k) => {
      const ix = Math.max(0, Math.min(d.x + d.width, k.x + k.width) - Math.max(d.x, k.x));
      const iy = Math.max(0, Math.min(d.y + d.height, k.y + k.height) - Math.max(d.y, k.y));
      return ix * iy > 0.5 * d.width * d.height;
    });
    if (!inside) kept.push(d);
  }
  return kept;
}

/** Runs BlazeFace through `ctx.models` and gives faces in image pixels, best first. */
export async function detectFaces(models: Pick<PluginModels, "run">, img: RgbImage, options: DetectOptions = {}): Promise<DetectionRun> {
  const timings = { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 };
  const runs: DetectionRun["runs"] = [];
  const all: RawDetection[] = [];
  const windows = panoramaWindows(img.width, img.height);
  for (const id of options.ids ?? modelIds(options.model ?? "auto")) {
    const spec = FACE_MODELS[id];
    const found: RawDetection[] = [];
    let device = "cpu";
    let fallback: string | null = null;
    for (const region of [null, ...windows]) {
      let t = performance.now();
      const { data, box } = await letterboxTensor(region ? crop(img, region) : img, spec.inputSize);
      timings.preprocessMs += performance.now() - t;
      t = performance.now();
      const result = await models.run(id, { "input:0": { type: "float32", data, dims: [1, spec.inputSize, spec.inputSize, 3] } }, options.run);
      timings.inferenceMs += performance.now() - t;
      t = performance.now();
      device = result.device;
      fallback = result.fallback;
      const o = result.outputs;
      const scores = concat(o["Identity:0"]?.data as Float32Array, o["Identity_1:0"]?.data as Float32Array);
      const boxes = concat(o["Identity_2:0"]?.data as Float32Array, o["Identity_3:0"]?.data as Float32Array);
      const dx = region?.x ?? 0;
      const dy = region?.y ?? 0;
      for (const d of weightedNms(
        decodeDetections(scores, boxes, anchorsFor(id), { inputSize: spec.inputSize, minScore: options.minScore }),
        options.nmsThreshold,
      )) {
        const tl = toImage(box, d.x, d.y);
        const br = toImage(box, d.x + d.width, d.y + d.height);
        const kps = d.keypoints.map((p) => {
          const q = toImage(box, p.x, p.y);
          return { x: q.x + dx, y: q.y + dy };
        });
        const det = { x: tl.x + dx, y: tl.y + dy, width: br.x - tl.x, height: br.y - tl.y, score: d.score, keypoints: kps };
        if (region && cutByWindow(det, region, img)) continue;
        found.push(det);
      }
      timings.postprocessMs += performance.now() - t;
    }
    // The same face seen whole in two overlapping windows (or in a window and the whole image): one.
    const merged = windows.length > 0 ? dropNested(weightedNms(found, options.nmsThreshold)) : found;
    runs.push({ model: id, device, fallback, faces: merged.length, ...(windows.length > 0 ? { windows: windows.length } : {}) });
    all.push(...merged);
  }
  // Detections of the two models in image pixels: merge the same face found by both.
  const merged = runs.length > 1 ? weightedNms(all, options.nmsThreshold) : all;
  if (windows.length > 0 && runs.length > 1) merged.splice(0, merged.length, ...dropNested(merged));
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

/** The faces as seen in the same photo at another size (`sx`, `sy`: new pixels per old pixel). */
export function scaleFaces(faces: readonly Face[], sx: number, sy: number): Face[] {
  const s = (sx + sy) / 2;
  return faces.map((f) => ({
    ...f,
    box: { x: f.box.x * sx, y: f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy },
    keypoints: f.keypoints.map((k) => ({ ...k, x: k.x * sx, y: k.y * sy })),
    ...(f.landmarks
      ? {
          landmarks: {
            score: f.landmarks.score,
            points: f.landmarks.points.map(([x, y, z]) => [x * sx, y * sy, z * s] as [number, number, number]),
            ...(f.landmarks.irises
              ? {
                  irises: f.landmarks.irises.map((e) => ({
                    ...e,
                    x: e.x * sx,
                    y: e.y * sy,
                    radius: e.radius * s,
                    outline: e.outline.map(([x, y]) => [x * sx, y * sy] as [number, number]),
                  })),
                }
              : {}),
          },
        }
      : {}),
  }));
}
