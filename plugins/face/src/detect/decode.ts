/**
 * BlazeFace post-processing as in MediaPipe's short-range graph (`TensorsToDetectionsCalculator`
 * then `NonMaxSuppressionCalculator` in WEIGHTED mode): sigmoid scores, boxes and 6 keypoints
 * decoded against the anchors, then overlapping detections merged by score-weighted averaging.
 * All coordinates here are normalised to the model's (letterboxed) input.
 */
import type { Anchor } from "./anchors.js";

export const KEYPOINTS = ["rightEye", "leftEye", "noseTip", "mouth", "rightEar", "leftEar"] as const;
export type KeypointName = (typeof KEYPOINTS)[number];

export interface Point {
  x: number;
  y: number;
}

export interface RawDetection {
  /** Box as left, top, width, height. */
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  /** 6 keypoints in `KEYPOINTS` order. */
  keypoints: Point[];
}

export interface DecodeOptions {
  /** The model's input size in pixels: the regressors are in input pixels. */
  inputSize: number;
  /** Detections below this score are dropped (MediaPipe: 0.5). */
  minScore?: number;
  /** Logits are clipped to ±this before the sigmoid (MediaPipe: 100). */
  scoreClip?: number;
}

const VALUES_PER_ANCHOR = 16;

export function sigmoid(x: number, clip = 100): number {
  const c = Math.max(-clip, Math.min(x, clip));
  return 1 / (1 + Math.exp(-c));
}

/**
 * Decodes `scores` (one logit per anchor) and `boxes` (16 values per anchor: centre offset x, y,
 * width, height, then 6 keypoints x, y, all in input pixels) into detections above `minScore`.
 */
export function decodeDetections(scores: ArrayLike<number>, boxes: ArrayLike<number>, anchors: readonly Anchor[], options: DecodeOptions): RawDetection[] {
  if (scores.length !== anchors.length) throw new Error(`expected ${anchors.length} scores, got ${scores.length}`);
  if (boxes.length !== anchors.length * VALUES_PER_ANCHOR) throw new Error(`expected ${anchors.length * VALUES_PER_ANCHOR} box values, got ${boxes.length}`);
  const minScore = options.minScore ?? 0.5;
  const s = options.inputSize;
  const out: RawDetection[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const score = sigmoid(scores[i] as number, options.scoreClip);
    if (score < minScore) continue;
    const a = anchors[i] as Anchor;
    const o = i * VALUES_PER_ANCHOR;
    const cx = (boxes[o] as number) / s + a.x;
    const cy = (boxes[o + 1] as number) / s + a.y;
    const w = (boxes[o + 2] as number) / s;
    const h = (boxes[o + 3] as number) / s;
    if (!(w > 0 && h > 0)) continue;
    const keypoints: Point[] = [];
    for (let k = 0; k < KEYPOINTS.length; k++) {
      keypoints.push({ x: (boxes[o + 4 + 2 * k] as number) / s + a.x, y: (boxes[o + 5 + 2 * k] as number) / s + a.y });
    }
    out.push({ x: cx - w / 2, y: cy - h / 2, width: w, height: h, score, keypoints });
  }
  return out;
}

export function iou(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * MediaPipe's weighted non-maximum suppression: take the best remaining detection, gather every
 * remaining one that overlaps it by more than `threshold` (IoU), and replace the group by its
 * score-weighted mean box and keypoints, keeping the best score. Sorted by score, best first.
 */
export function weightedNms(detections: readonly RawDetection[], threshold = 0.3): RawDetection[] {
  let remaining = [...detections].sort((a, b) => b.score - a.score);
  const out: RawDetection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0] as RawDetection;
    const group: RawDetection[] = [];
    const rest: RawDetection[] = [];
    for (const d of remaining) (iou(best, d) > threshold ? group : rest).push(d);
    remaining = rest;
    if (group.length === 1) {
      out.push(best);
      continue;
    }
    let total = 0;
    let x = 0;
    let y = 0;
    let w = 0;
    let h = 0;
    const kps = best.keypoints.map(() => ({ x: 0, y: 0 }));
    for (const d of group) {
      total += d.score;
      x += d.x * d.score;
      y += d.y * d.score;
      w += d.width * d.score;
      h += d.height * d.score;
      d.keypoints.forEach((p, k) => {
        const acc = kps[k] as Point;
        acc.x += p.x * d.score;
        acc.y += p.y * d.score;
      });
    }
    out.push({
      x: x / total,
      y: y / total,
      width: w / total,
      height: h / total,
      score: best.score,
      keypoints: kps.map((p) => ({ x: p.x / total, y: p.y / total })),
    });
  }
  return out;
}
