import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { resolveEffects, type VideoEffectContribution } from "../src/effects.js";
import { applyCommand, type Command, type MediaLookup, newProject } from "../src/model/commands.js";
import { type ProjectDoc, projectDuration, resolutionFor } from "../src/model/types.js";

const media: MediaLookup = new Map([
  ["v", { kind: "video", status: "ready", durationS: 4 }],
  ["img", { kind: "image", status: "ready", durationS: null }],
]);
const apply = (doc: ProjectDoc, ...cmds: Record<string, unknown>[]) => cmds.reduce((d, c) => applyCommand(d, c as Command, media), doc);
const fresh = () => newProject({ aspect: "9:16", shortSide: 90, fps: 25 }, resolutionFor);

test("move, trim (plain and ripple), duplicate, reorder, mute and transitions keep the timeline consistent", () => {
  let doc = fresh();
  const main = doc.tracks[0]?.id as string;
  doc = apply(doc, { type: "addClip", trackId: main, assetId: "v", out: 2 }, { type: "addClip", trackId: main, assetId: "img", duration: 1 });
  const [a, b] = (doc.tracks[0]?.clips ?? []).map((c) => c.id) as [string, string];
  doc = apply(doc, { type: "trimClip", clipId: a, out: 1.5, ripple: true });
  expect(doc.tracks[0]?.clips.map((c) => c.start)).toEqual([0, 1.5]);
  doc = apply(doc, { type: "trimClip", clipId: a, in: 0.5 });
  expect(doc.tracks[0]?.clips[0]).toMatchObject({ start: 0.5, in: 0.5, out: 1.5 });
  doc = apply(doc, { type: "moveClip", clipId: a, start: 0 }, { type: "moveClip", clipId: b, start: 1 });
  doc = apply(doc, { type: "duplicateClip", clipId: a });
  expect(doc.tracks[0]?.clips.map((c) => [c.start, c.media])).toEqual([
    [0, "video"],
    [1, "video"],
    [2, "image"],
  ]);
  doc = apply(doc, { type: "addTransition", fromClipId: a, kind: "zoomin", duration: 0.2 });
  expect(projectDuration(doc)).toBeCloseTo(2.8, 6);
  const tr = doc.tracks[0]?.transitions[0]?.id;
  doc = apply(doc, { type: "removeTransition", transitionId: tr });
  expect(projectDuration(doc)).toBeCloseTo(3, 6);
  const music = doc.tracks[2]?.id as string;
  doc = apply(doc, { type: "reorderTrack", trackId: music, index: 0 }, { type: "setTrack", trackId: music, muted: true });
  expect(doc.tracks[0]).toMatchObject({ id: music, muted: true });
  // The input document is never changed by a failing command.
  const before = JSON.stringify(doc);
  expect(() => apply(doc, { type: "moveClip", clipId: a, start: 0.5 })).toThrow(/overlap/);
  expect(JSON.stringify(doc)).toBe(before);
});

test("colour effects come from video.effect contributions; a missing one is a clear error", async () => {
  let doc = fresh();
  doc = apply(doc, {
    type: "addClip",
    trackId: doc.tracks[0]?.id,
    assetId: "v",
    out: 1,
    effects: [
      { name: "grayscale", params: {} },
      { name: "filters:recipe", params: { id: "warm" } },
    ],
  });
  const contribution: VideoEffectContribution = {
    name: "recipe",
    compile: async (params, env) => [
      `lut3d=file=${await env.writeFile(`${String(params.id)}.cube`, "LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n")}`,
    ],
  };
  const handle = { id: "video.effect", contributions: () => [{ pluginId: "filters", value: contribution }] };
  const workDir = mkdtempSync(path.join(os.tmpdir(), "video-fx-"));
  const fx = await resolveEffects(doc, handle, { width: 90, height: 160, workDir });
  rmSync(workDir, { recursive: true, force: true });
  const chains = fx.get(doc.tracks[0]?.clips[0]?.id as string) ?? [];
  expect(chains[0]).toBe("hue=s=0");
  expect(chains[1]).toBe(`lut3d=file=${path.join(workDir, "fx-0-warm.cube")}`);
  await expect(resolveEffects(doc, { id: "video.effect", contributions: () => [] }, { width: 90, height: 160, workDir: os.tmpdir() })).rejects.toMatchObject({
    code: "VIDEO_EFFECT_UNAVAILABLE",
  });
});
