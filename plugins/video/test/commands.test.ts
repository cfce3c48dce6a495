import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { resolveEffects, type VideoEffectContribution } from "../src/effects.js";
import { applyCommand, type Command, type MediaLookup, newProject } from "../src/model/commands.js";
import { type Clip, clipEnd, type ProjectDoc, projectDuration, resolutionFor } from "../src/model/types.js";

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
  const list = [{ pluginId: "filters", value: contribution }];
  const handle = { id: "video.effect", contributions: () => list, contributionsFor: async () => list };
  const workDir = mkdtempSync(path.join(os.tmpdir(), "video-fx-"));
  const env = { tenantId: "t", width: 90, height: 160, preview: false, workDir, write: true };
  const fx = await resolveEffects(doc, handle, env);
  const chains = fx.get(doc.tracks[0]?.clips[0]?.id as string) ?? [];
  expect(chains[0]).toBe("hue=s=0");
  expect(chains[1]).toBe(`lut3d=file=${path.join(workDir, "fx-0-warm.cube")}`);
  expect(readFileSync(path.join(workDir, "fx-0-warm.cube"), "utf8")).toMatch(/^LUT_3D_SIZE 2/);
  rmSync(workDir, { recursive: true, force: true });
  // A plan only names the files: nothing is written.
  const planDir = path.join(os.tmpdir(), `video-fx-plan-${process.pid}`);
  await resolveEffects(doc, handle, { ...env, workDir: planDir, write: false });
  expect(existsSync(planDir)).toBe(false);
  // Installed but not enabled for the tenant is the same as absent: a clear 422 naming the effect.
  const disabled = { id: "video.effect", contributions: () => list, contributionsFor: async () => [] };
  await expect(resolveEffects(doc, disabled, env)).rejects.toMatchObject({
    code: "VIDEO_EFFECT_UNAVAILABLE",
    status: 422,
    details: { effect: "filters:recipe" },
  });
});

test("a left-edge trim moves the head and keeps the end: in for media, start for any clip", () => {
  let doc = fresh();
  const [main, text] = doc.tracks.map((t) => t.id) as [string, string];
  doc = apply(
    doc,
    { type: "addClip", trackId: main, assetId: "v", in: 1, out: 3, start: 2 },
    { type: "addClip", trackId: text, text: { content: "Hi" }, start: 1, duration: 2 },
  );
  const video = () => doc.tracks[0]?.clips[0] as Clip;
  const title = () => doc.tracks[1]?.clips[0] as Clip;
  // The panel's drag on a video clip: a new in point; the start follows, the out point stays.
  doc = apply(doc, { type: "trimClip", clipId: video().id, in: 1.5 });
  expect([video().start, video().in, video().out, clipEnd(video())]).toEqual([2.5, 1.5, 3, 4]);
  // The same through start, extending the head back to 1.5 s (in 0.5).
  doc = apply(doc, { type: "trimClip", clipId: video().id, start: 1.5 });
  expect([video().start, video().in, clipEnd(video())]).toEqual([1.5, 0.5, 4]);
  // A text clip has no source: its duration takes up the move.
  doc = apply(doc, { type: "trimClip", clipId: title().id, start: 1.5 });
  expect([title().start, title().in, title().out, clipEnd(title())]).toEqual([1.5, 0, 1.5, 3]);
  doc = apply(doc, { type: "trimClip", clipId: title().id, start: 0.25 });
  expect([title().start, title().out, clipEnd(title())]).toEqual([0.25, 2.75, 3]);
  // Past the source's start, past the end, or with ripple: refused, the document unchanged.
  expect(() => apply(doc, { type: "trimClip", clipId: video().id, start: 0.5 })).toThrow(/in point before the start/);
  expect(() => apply(doc, { type: "trimClip", clipId: title().id, start: 3 })).toThrow(/at least one frame/);
  expect(() => apply(doc, { type: "trimClip", clipId: title().id, start: 1, ripple: true })).toThrow(/without in or ripple/);
});

test("updateClip edits a text clip's text, font, size, colours, stroke, position and animations, each validated", () => {
  let doc = fresh();
  const text = doc.tracks[1]?.id as string;
  doc = apply(doc, { type: "addClip", trackId: text, text: { content: "Hello", animIn: "fade" }, duration: 2 });
  const id = doc.tracks[1]?.clips[0]?.id as string;
  doc = apply(doc, {
    type: "updateClip",
    clipId: id,
    patch: {
      text: { content: "Sale!", font: "DejaVu Serif", size: 96, color: "#ffcc00", strokeColor: "black", strokeWidth: 4, x: 0.5, y: 0.8, animOut: "slide-up" },
    },
  });
  expect(doc.tracks[1]?.clips[0]?.text).toEqual({
    content: "Sale!",
    font: "DejaVu Serif",
    size: 96,
    color: "#ffcc00",
    strokeColor: "black",
    strokeWidth: 4,
    x: 0.5,
    y: 0.8,
    animIn: "fade",
    animOut: "slide-up",
  });
  // A patch of one field keeps the others.
  doc = apply(doc, { type: "updateClip", clipId: id, patch: { text: { size: 40 } } });
  expect(doc.tracks[1]?.clips[0]?.text).toMatchObject({ content: "Sale!", size: 40, color: "#ffcc00" });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ color: "#ffcc0" }, /color must be #rrggbb/],
    [{ font: "Comic Sans" }, /font must be one of/],
    [{ size: 1000 }, /size must be ≤ 400/],
    [{ y: 1.5 }, /y must be ≤ 1/],
    [{ animIn: "spin" }, /animIn must be one of/],
    [{ content: "" }, /content must be a non-empty string/],
  ];
  for (const [patch, why] of bad) expect(() => apply(doc, { type: "updateClip", clipId: id, patch: { text: patch } })).toThrow(why);
});
