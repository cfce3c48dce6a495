import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type CompileOptions, compileTimeline, type SourceInfo } from "../src/compiler/compile.js";
import { applyCommand, type Command, type MediaLookup, newProject } from "../src/model/commands.js";
import { type ProjectDoc, resolutionFor, TRANSITIONS } from "../src/model/types.js";
import { probe, runFfmpeg } from "../src/render/ffmpeg.js";
import { ffprobe, frameLuma, makeBeep, makeClip, makeImage, makeSyncClip, meanAt, onsets, pcm } from "./media.js";

let dir: string;
const sources = new Map<string, SourceInfo>();
const media = new Map<string, { kind: "video" | "image" | "audio"; status: "ready"; durationS: number | null }>();

async function addSource(id: string, file: string, kind?: SourceInfo["kind"]) {
  const info = await probe(file, kind);
  sources.set(id, info);
  media.set(id, { kind: info.kind, status: "ready", durationS: info.durationS });
}

function project(fps = 25): ProjectDoc {
  return newProject({ aspect: "16:9", shortSide: 90, fps }, resolutionFor);
}

function apply(doc: ProjectDoc, ...cmds: Command[]): ProjectDoc {
  return cmds.reduce((d, c) => applyCommand(d, c, media as MediaLookup), doc);
}

const mainTrack = (d: ProjectDoc) => d.tracks[0]?.id as string;
const clipIds = (d: ProjectDoc, track = 0) => (d.tracks[track]?.clips ?? []).map((c) => c.id);

async function render(doc: ProjectDoc, name: string, extra: Partial<CompileOptions> = {}) {
  const output = path.join(dir, name);
  const plan = compileTimeline(doc, sources, { output, format: "mp4", quality: "draft", workDir: dir, ...extra });
  for (const f of plan.files) writeFileSync(f.path, f.content);
  await runFfmpeg(plan.args, { durationS: plan.durationS });
  return { plan, output, probed: await ffprobe(output) };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "video-compiler-"));
  await Promise.all([
    makeClip(dir, "a.mp4", 2).then((f) => addSource("a", f)),
    makeClip(dir, "silent.mp4", 2, { audio: false }).then((f) => addSource("silent", f)),
    makeClip(dir, "tall.mp4", 1, { size: "90x160" }).then((f) => addSource("tall", f)),
    makeImage(dir, "still.png").then((f) => addSource("still", f, "image")),
    makeBeep(dir, "beep.wav", 1, 0.5).then((f) => addSource("beep", f, "audio")),
    makeClip(dir, "music.mp4", 3, { freq: 220, audio: true }).then((f) => addSource("music", f)),
    makeSyncClip(dir, "quiet.mp4", 2, null).then((f) => addSource("quiet", f)),
    makeSyncClip(dir, "mark08.mp4", 2, 0.8).then((f) => addSource("mark08", f)),
    makeSyncClip(dir, "mark10.mp4", 2, 1.0).then((f) => addSource("mark10", f)),
  ]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("compiler", () => {
  test("trim, split and speed give the right durations to the frame", async () => {
    let doc = project();
    const t = mainTrack(doc);
    doc = apply(doc, { type: "addClip", trackId: t, assetId: "a", in: 0.2, out: 1.4 }, { type: "addClip", trackId: t, assetId: "a", speed: 2 });
    doc = apply(doc, { type: "splitClip", clipId: clipIds(doc)[0], at: 0.6 });
    // 1.2 s trimmed (split into 0.6 + 0.6) + 2 s at 2× = 2.2 s = 55 frames at 25 fps.
    expect(doc.tracks[0]?.clips.map((c) => [c.start, c.in, c.out])).toEqual([
      [0, 0.2, 0.8],
      [0.6, 0.8, 1.4],
      [1.2, 0, 2],
    ]);
    const { plan, probed } = await render(doc, "speed.mp4");
    expect(plan.frames).toBe(55);
    expect(probed.video?.frames).toBe(55);
    expect(probed.video?.codec).toBe("h264");
    expect(probed.audio?.codec).toBe("aac");
    expect(Math.abs((probed.video?.durationS ?? 0) - 2.2)).toBeLessThanOrEqual(1 / 25);
    expect(plan.graph).toContain("atempo=2");
    expect(plan.graph.match(/-filter_complex/g)).toBeNull();
    expect(plan.args.filter((a) => a === "-filter_complex")).toHaveLength(1);
  });

  test("three clips with two transitions: clips minus overlaps, a beep lands within one frame", async () => {
    let doc = project();
    const t = mainTrack(doc);
    doc = apply(
      doc,
      { type: "addClip", trackId: t, assetId: "silent" },
      { type: "addClip", trackId: t, assetId: "silent" },
      { type: "addClip", trackId: t, assetId: "silent" },
    );
    const [c1, c2] = clipIds(doc);
    doc = apply(
      doc,
      { type: "addTransition", fromClipId: c1, kind: "fade", duration: 0.4 },
      { type: "addTransition", fromClipId: c2, kind: "wipeleft", duration: 0.4 },
    );
    const music = doc.tracks[2]?.id as string;
    // Beep at 0.5 s in the file, clip placed at 2.3 s: heard at 2.8 s.
    doc = apply(doc, { type: "addClip", trackId: music, assetId: "beep", start: 2.3 });
    const { plan, probed, output } = await render(doc, "three.mp4");
    expect(plan.durationS).toBeCloseTo(6 - 0.8, 6);
    expect(Math.abs((probed.video?.durationS ?? 0) - 5.2)).toBeLessThanOrEqual(1 / 25);
    expect(Math.abs((probed.audio?.durationS ?? 0) - 5.2)).toBeLessThanOrEqual(1 / 25 + 0.03);
    const samples = await pcm(output, 8000);
    const first = samples.findIndex((s) => Math.abs(s) > 0.2);
    expect(Math.abs(first / 8000 - 2.8)).toBeLessThanOrEqual(1 / 25 + 0.025); // AAC priming is trimmed by the decoder
  });

  test("three clips with two transitions on the main track: clips minus overlaps, beeps through acrossfade in sync with their flashes", async () => {
    let doc = project();
    const t = mainTrack(doc);
    // Each marked clip flashes one white frame and beeps at the same instant of its source.
    doc = apply(
      doc,
      { type: "addClip", trackId: t, assetId: "quiet" },
      { type: "addClip", trackId: t, assetId: "mark08" },
      { type: "addClip", trackId: t, assetId: "mark10" },
    );
    const [c1, c2] = clipIds(doc);
    doc = apply(
      doc,
      { type: "addTransition", fromClipId: c1, kind: "dissolve", duration: 0.4 },
      { type: "addTransition", fromClipId: c2, kind: "slideleft", duration: 0.4 },
    );
    // 3 × 2 s − 2 × 0.4 s; the second clip starts at 1.6 s (mark at 2.4 s), the third at 3.2 s (mark at 4.2 s).
    expect(doc.tracks[0]?.clips.map((c) => c.start)).toEqual([0, 1.6, 3.2]);
    const { plan, probed, output } = await render(doc, "three-sync.mp4");
    expect(plan.graph.match(/acrossfade=/g)).toHaveLength(2);
    expect(plan.graph.match(/xfade=transition=/g)).toHaveLength(2);
    expect(plan.durationS).toBeCloseTo(5.2, 6);
    expect(plan.frames).toBe(130);
    expect(probed.video?.frames).toBe(130);
    expect(Math.abs((probed.video?.durationS ?? 0) - 5.2)).toBeLessThanOrEqual(1 / 25);
    expect(Math.abs((probed.audio?.durationS ?? 0) - 5.2)).toBeLessThanOrEqual(1 / 25);

    const frame = 1 / 25;
    const heard = onsets(await pcm(output, 48000), 48000);
    expect(heard).toHaveLength(2);
    const luma = await frameLuma(output);
    const seen = luma.flatMap((y, i) => (y > 128 ? [i / 25] : []));
    expect(seen).toHaveLength(2);
    for (const [i, expected] of [2.4, 4.2].entries()) {
      expect(Math.abs((heard[i] as number) - expected), `beep ${i} at ${heard[i]}`).toBeLessThanOrEqual(frame);
      expect(Math.abs((seen[i] as number) - expected), `flash ${i} at ${seen[i]}`).toBeLessThanOrEqual(frame / 2);
      // Picture and sound stay together: the beep starts within one frame of its flash.
      expect(Math.abs((heard[i] as number) - (seen[i] as number))).toBeLessThanOrEqual(frame);
    }
  });

  test("every transition kind renders, with acrossfade, to the timeline's length", async () => {
    let doc = project();
    const t = mainTrack(doc);
    for (let i = 0; i <= TRANSITIONS.length; i++) doc = apply(doc, { type: "addClip", trackId: t, assetId: "a", in: 0, out: 0.6 });
    const ids = clipIds(doc);
    TRANSITIONS.forEach((kind, i) => {
      doc = apply(doc, { type: "addTransition", fromClipId: ids[i], kind, duration: 0.2 });
    });
    const { plan, probed } = await render(doc, "transitions.mp4");
    for (const kind of TRANSITIONS) expect(plan.graph).toContain(`xfade=transition=${kind}:`);
    expect(plan.graph.match(/acrossfade/g)).toHaveLength(TRANSITIONS.length);
    const expected = (TRANSITIONS.length + 1) * 0.6 - TRANSITIONS.length * 0.2;
    expect(plan.frames).toBe(Math.round(expected * 25));
    expect(probed.video?.frames).toBe(plan.frames);
  });

  test("a hard cut followed by a transition renders (concat's time base is brought back for xfade)", async () => {
    let doc = project();
    const t = mainTrack(doc);
    doc = apply(
      doc,
      { type: "addClip", trackId: t, assetId: "a", out: 0.6 },
      { type: "addClip", trackId: t, assetId: "a", out: 0.6 },
      { type: "addClip", trackId: t, assetId: "a", out: 0.6 },
    );
    doc = apply(doc, { type: "addTransition", fromClipId: clipIds(doc)[1], kind: "dissolve", duration: 0.2 });
    const { plan, probed } = await render(doc, "cut-then-transition.mp4");
    expect(plan.graph).toContain("concat=n=2:v=1:a=0,settb=1/25[");
    expect(plan.graph).toContain("xfade=transition=dissolve");
    expect(plan.frames).toBe(40);
    expect(probed.video?.frames).toBe(40);
  });

  test("text appears where it is placed", async () => {
    let doc = project();
    const text = doc.tracks[1]?.id as string;
    doc = apply(doc, { type: "addClip", trackId: text, text: { content: "HI", size: 40, color: "white", strokeWidth: 0, x: 0.25, y: 0.5 }, duration: 1 });
    const { output } = await render(doc, "text.mp4");
    // "HI" is centred at x = 0.25 × 160 = 40: bright there, black on the right half.
    expect((await meanAt(output, 0.5, 24, 32, 32, 26))[0]).toBeGreaterThan(40);
    expect((await meanAt(output, 0.5, 104, 32, 32, 26))[0]).toBeLessThan(5);
  });

  test("picture-in-picture, Ken Burns, blur-fill, volume keyframes and ducking in one graph, to VP9/Opus WebM", async () => {
    let doc = project();
    const t = mainTrack(doc);
    doc = apply(
      doc,
      { type: "addClip", trackId: t, assetId: "still", duration: 1, kenBurns: { from: 1, to: 1.4 } },
      { type: "addClip", trackId: t, assetId: "tall", fit: "blur-fill", fadeOut: 0.3 },
    );
    doc = apply(doc, { type: "addTrack", kind: "overlay" });
    const overlay = doc.tracks[3]?.id as string;
    doc = apply(doc, { type: "addClip", trackId: overlay, assetId: "a", start: 0.5, out: 1, pip: { x: 0.6, y: 0.6, w: 0.3, h: 0.3 } });
    doc = apply(doc, { type: "addTrack", kind: "audio", role: "speech" });
    const speech = doc.tracks[4]?.id as string;
    const music = doc.tracks[2]?.id as string;
    doc = apply(
      doc,
      {
        type: "addClip",
        trackId: music,
        assetId: "music",
        out: 2,
        volumeKeyframes: [
          { t: 0, v: 0.2 },
          { t: 1, v: 1 },
        ],
      },
      { type: "addClip", trackId: speech, assetId: "beep", start: 1 },
    );
    const { plan, probed } = await render(doc, "mixed.webm", { format: "webm" });
    expect(plan.graph).toContain("zoompan=");
    expect(plan.graph).toContain("boxblur");
    expect(plan.graph).toContain("overlay=x=96:y=54");
    expect(plan.graph).toContain("sidechaincompress");
    expect(plan.graph).toContain("eval=frame");
    expect(probed.video?.codec).toBe("vp9");
    expect(probed.audio?.codec).toBe("opus");
    expect(Math.abs(probed.durationS - 2)).toBeLessThanOrEqual(0.05);
  });
});
