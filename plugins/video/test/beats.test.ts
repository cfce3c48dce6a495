import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { BEAT_SAMPLE_RATE, detectBeats } from "../src/audio/beats.js";
import { decodePcm } from "../src/render/ffmpeg.js";
import { makeClickTrack } from "./media.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "video-beats-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each([120, 97, 140])("finds the beats and tempo of a %i BPM click track from PCM decoded by ffmpeg", async (bpm) => {
  const offset = 0.25;
  const file = await makeClickTrack(dir, `click-${bpm}.wav`, bpm, 8, offset);
  const pcm = await decodePcm(file, BEAT_SAMPLE_RATE);
  const a = detectBeats(pcm);
  expect(Math.abs(a.bpm - bpm)).toBeLessThanOrEqual(1);
  const period = 60 / bpm;
  const expected = Array.from({ length: Math.floor((8 - offset) / period) + 1 }, (_, i) => offset + i * period).filter((t) => t < 8 - 0.02);
  expect(a.beats.length).toBeGreaterThanOrEqual(expected.length - 1);
  for (const b of a.beats) {
    const nearest = Math.min(...expected.map((e) => Math.abs(e - b)));
    expect(nearest).toBeLessThanOrEqual(0.02);
  }
});

test("silence has no beats", () => {
  expect(detectBeats(new Float32Array(BEAT_SAMPLE_RATE * 2))).toMatchObject({ bpm: 0, beats: [] });
});
