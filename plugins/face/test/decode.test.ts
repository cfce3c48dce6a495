import { describe, expect, test } from "vitest";
import { ssdAnchors } from "../src/detect/anchors.js";
import { decodeDetections, iou, type RawDetection, sigmoid, weightedNms } from "../src/detect/decode.js";
import { FACE_MODELS } from "../src/detect/detector.js";
import { letterboxTensor, toImage } from "../src/detect/preprocess.js";

const logit = (p: number) => Math.log(p / (1 - p));

describe("MediaPipe SSD anchors", () => {
  test.each(Object.entries(FACE_MODELS))("%s: 896 anchors, 2 per cell on 16×16 then 6 per cell on 8×8", (_id, spec) => {
    const a = ssdAnchors({ inputSize: spec.inputSize, strides: spec.strides });
    expect(a).toHaveLength(896);
    expect(a[0]).toEqual({ x: 0.5 / 16, y: 0.5 / 16 });
    expect(a[1]).toEqual(a[0]);
    expect(a[2]).toEqual({ x: 1.5 / 16, y: 0.5 / 16 });
    expect(a[511]).toEqual({ x: 15.5 / 16, y: 15.5 / 16 });
    for (let k = 512; k < 518; k++) expect(a[k]).toEqual({ x: 0.5 / 8, y: 0.5 / 8 });
    expect(a[518]).toEqual({ x: 1.5 / 8, y: 0.5 / 8 });
    expect(a[895]).toEqual({ x: 7.5 / 8, y: 7.5 / 8 });
  });
});

describe("box decoding on hand-made tensors", () => {
  const anchors = ssdAnchors({ inputSize: 128, strides: [8, 16, 16, 16] });
  const empty = () => ({ scores: new Float32Array(896).fill(-10), boxes: new Float32Array(896 * 16) });

  test("one anchor above the threshold: centre offset, size and keypoints in input pixels", () => {
    const { scores, boxes } = empty();
    const i = 600; // on the 8×8 map
    scores[i] = logit(0.9);
    const o = i * 16;
    boxes.set([6.4, -3.2, 32, 48], o); // +0.05, -0.025; 0.25 × 0.375
    for (let k = 0; k < 6; k++) boxes.set([k, -k], o + 4 + 2 * k);
    const [d, ...rest] = decodeDetections(scores, boxes, anchors, { inputSize: 128 });
    expect(rest).toHaveLength(0);
    const a = anchors[i] as { x: number; y: number };
    expect(d?.score).toBeCloseTo(0.9, 5);
    expect(d?.width).toBeCloseTo(0.25, 6);
    expect(d?.height).toBeCloseTo(0.375, 6);
    expect((d?.x ?? 0) + (d?.width ?? 0) / 2).toBeCloseTo(a.x + 0.05, 6);
    expect((d?.y ?? 0) + (d?.height ?? 0) / 2).toBeCloseTo(a.y - 0.025, 6);
    expect(d?.keypoints[5]).toEqual({ x: expect.closeTo(a.x + 5 / 128, 6), y: expect.closeTo(a.y - 5 / 128, 6) });
  });

  test("scores below minScore are dropped; logits are clipped before the sigmoid", () => {
    const { scores, boxes } = empty();
    scores[3] = logit(0.49);
    boxes.set([0, 0, 10, 10], 3 * 16);
    expect(decodeDetections(scores, boxes, anchors, { inputSize: 128 })).toEqual([]);
    expect(decodeDetections(scores, boxes, anchors, { inputSize: 128, minScore: 0.4 })).toHaveLength(1);
    expect(sigmoid(1e6)).toBe(sigmoid(100));
    expect(sigmoid(-1e6)).toBe(sigmoid(-100));
  });

  test("wrong tensor sizes are refused", () => {
    expect(() => decodeDetections(new Float32Array(10), new Float32Array(160), anchors, { inputSize: 128 })).toThrow(/896 scores/);
  });
});

describe("weighted non-maximum suppression", () => {
  const det = (x: number, y: number, s: number, score: number): RawDetection => ({
    x,
    y,
    width: s,
    height: s,
    score,
    keypoints: Array.from({ length: 6 }, (_, k) => ({ x: x + k, y })),
  });

  test("overlapping detections become their score-weighted mean with the best score; apart ones stay", () => {
    const out = weightedNms([det(0, 0, 10, 0.6), det(1, 0, 10, 0.9), det(50, 50, 10, 0.7)], 0.3);
    expect(out).toHaveLength(2);
    expect(out[0]?.score).toBe(0.9);
    expect(out[0]?.x).toBeCloseTo((0 * 0.6 + 1 * 0.9) / 1.5, 6);
    expect(out[0]?.keypoints[2]?.x).toBeCloseTo((2 * 0.6 + 3 * 0.9) / 1.5, 6);
    expect(out[1]).toEqual(det(50, 50, 10, 0.7));
  });

  test("IoU", () => {
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150, 6);
    expect(iou({ x: 0, y: 0, width: 1, height: 1 }, { x: 2, y: 2, width: 1, height: 1 })).toBe(0);
  });
});

describe("letterbox", () => {
  test("a 200×100 image sits centred in 128×128 with black bars, values in [-1, 1], and maps back", async () => {
    const pixels = new Uint8Array(200 * 100 * 3).fill(255);
    const { data, box } = await letterboxTensor({ pixels, width: 200, height: 100 }, 128);
    expect(box).toMatchObject({ size: 128, left: 0, top: 32, scaleX: 0.64, scaleY: 0.64 });
    expect(data[0]).toBe(-1); // top bar
    expect(data[(64 * 128 + 64) * 3]).toBe(1); // the image
    expect(toImage(box, 0.5, 0.5)).toEqual({ x: 100, y: 50 });
    expect(toImage(box, 1, 96 / 128)).toEqual({ x: 200, y: 100 });
  });
});
