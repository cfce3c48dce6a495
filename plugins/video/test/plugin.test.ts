import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, type TestKernel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ProjectView } from "../src/projects.js";
import { makeClickTrack, makeClip, makeImage } from "./media.js";

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const api = "/api/p/video/v1";

let t: TestKernel;
let dir: string;
const assets: Record<string, string> = {};

async function upload(name: string, file: string | Buffer): Promise<string> {
  return (await t.upload(name, typeof file === "string" ? readFileSync(file) : file, { timeoutMs: 20_000 })).assetId;
}

/** Pids of ffmpeg processes whose command line names the job (its work folder does). */
function ffmpegOf(jobId: string): string[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const cmdline = readFileSync(`/proc/${d}/cmdline`, "utf8");
        return cmdline.includes("ffmpeg") && cmdline.includes(jobId);
      } catch {
        return false;
      }
    });
}

/** ffmpeg processes that are children of this process (the kernel runs its jobs in it). */
function ffmpegChildren(): string[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, "utf8").includes("ffmpeg");
      } catch {
        return false;
      }
    });
}

async function newProject(): Promise<ProjectView> {
  const res = await t.inject({ method: "POST", url: `${api}/projects`, payload: { name: "Test", aspect: "16:9", shortSide: 90, fps: 25 } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function cmd(p: ProjectView, ...commands: Record<string, unknown>[]) {
  return t.inject({ method: "POST", url: `${api}/projects/${p.id}/commands`, payload: { commands } });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "video-plugin-"));
  const [clip, long, still, click] = await Promise.all([
    makeClip(dir, "clip.mp4", 2),
    makeClip(dir, "long.mp4", 6, { size: "640x360" }),
    makeImage(dir, "still.png", "64x48"),
    makeClickTrack(dir, "click.wav", 120, 6),
  ]);
  t = await createTestKernel({ plugins: [pluginDir] });
  assets.clip = await upload("clip.mp4", clip);
  assets.long = await upload("long.mp4", long);
  assets.still = await upload("still.png", still);
  assets.click = await upload("click.wav", click);
}, 90_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("projects and commands", () => {
  test("commands are validated, stored as revisions and undone/redone server-side", async () => {
    const p = await newProject();
    const main = p.doc.tracks[0]?.id;
    let res = await cmd(
      p,
      { type: "addClip", trackId: main, assetId: assets.clip, in: 0, out: 1.5 },
      { type: "addClip", trackId: main, assetId: assets.clip, in: 0.5, out: 2 },
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ revision: 1, durationS: 3, canUndo: true, canRedo: false });
    const [a, b] = res.json().doc.tracks[0].clips.map((c: { id: string }) => c.id);
    res = await cmd(p, { type: "addTransition", fromClipId: a, kind: "slideup", duration: 0.4 });
    expect(res.json().durationS).toBe(2.6);
    res = await cmd(p, { type: "splitClip", clipId: b, at: 2 });
    expect(res.json().doc.tracks[0].clips).toHaveLength(3);
    res = await cmd(p, { type: "rippleDelete", clipId: res.json().doc.tracks[0].clips[2].id });
    expect(res.json()).toMatchObject({ revision: 4, durationS: 2 });

    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/undo` });
    expect(res.json()).toMatchObject({ revision: 3, durationS: 2.6, canRedo: true });
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/undo` });
    expect(res.json().doc.tracks[0].clips).toHaveLength(2);
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/redo` });
    expect(res.json()).toMatchObject({ revision: 3 });
    // A new command after undo drops the redo branch.
    res = await cmd(p, { type: "setTrack", trackId: main, muted: true });
    expect(res.json()).toMatchObject({ revision: 4, canRedo: false });
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/redo` });
    expect(res.json().error.code).toBe("VIDEO_NOTHING_TO_REDO");
    res = await t.inject({
      method: "POST",
      url: `${api}/projects/${p.id}/commands`,
      payload: { command: { type: "deleteClip", clipId: a }, expectedRevision: 2 },
    });
    expect([res.statusCode, res.json().error.code]).toEqual([409, "VIDEO_REVISION_CONFLICT"]);
    // Another tenant does not see it.
    const other = await t.createTenant("video-other");
    expect((await t.inject({ method: "GET", url: `${api}/projects/${p.id}`, tenant: other.id })).statusCode).toBe(404);
  });

  test("editing a text clip and trimming a clip's head are revisions that undo and redo", async () => {
    const p = await newProject();
    const [main, text] = p.doc.tracks.map((x) => x.id);
    let res = await cmd(
      p,
      { type: "addClip", trackId: main, assetId: assets.clip, in: 0.5, out: 2, start: 1 },
      { type: "addClip", trackId: text, text: { content: "Hello", animIn: "fade" }, start: 0.5, duration: 2 },
    );
    const [video, title] = [res.json().doc.tracks[0].clips[0].id, res.json().doc.tracks[1].clips[0].id];
    const textOf = (r: typeof res) => r.json().doc.tracks[1].clips[0].text;
    res = await cmd(p, {
      type: "updateClip",
      clipId: title,
      patch: {
        text: { content: "Sale!", font: "DejaVu Sans Bold", size: 90, color: "#ffd43b", strokeColor: "#000000", strokeWidth: 5, y: 0.8, animOut: "slide-up" },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(textOf(res)).toMatchObject({
      content: "Sale!",
      font: "DejaVu Sans Bold",
      size: 90,
      color: "#ffd43b",
      strokeWidth: 5,
      x: 0.5,
      y: 0.8,
      animIn: "fade",
    });
    const bad = await cmd(p, { type: "updateClip", clipId: title, patch: { text: { color: "not a colour!" } } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([422, "VIDEO_INVALID_COMMAND"]);
    res = await cmd(p, { type: "trimClip", clipId: video, in: 1 }, { type: "trimClip", clipId: title, start: 1 });
    expect(res.json().doc.tracks[0].clips[0]).toMatchObject({ start: 1.5, in: 1, out: 2 });
    expect(res.json().doc.tracks[1].clips[0]).toMatchObject({ start: 1, out: 1.5 });
    expect(res.json().revision).toBe(3);

    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/undo` });
    expect(res.json().doc.tracks[0].clips[0]).toMatchObject({ start: 1, in: 0.5 });
    expect(res.json().doc.tracks[1].clips[0]).toMatchObject({ start: 0.5, out: 2 });
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/undo` });
    expect(textOf(res)).toMatchObject({ content: "Hello", size: 48, animOut: "none" });
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/redo` });
    expect(textOf(res)).toMatchObject({ content: "Sale!", size: 90 });
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/redo` });
    expect(res.json()).toMatchObject({ revision: 3, canRedo: false });
    expect(res.json().doc.tracks[1].clips[0]).toMatchObject({ start: 1, out: 1.5 });
  });

  test("bad input gets a clear 4xx and leaves the project as it was", async () => {
    const p = await newProject();
    const [main, text, music] = p.doc.tracks.map((x) => x.id);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ type: "addClip", trackId: main, assetId: "5d0c1d8e-8f0e-4d4e-9e55-2f5c3c2b1a00" }, 404, "VIDEO_ASSET_NOT_FOUND"],
      [{ type: "addClip", trackId: main, assetId: assets.clip, out: 2.5 }, 422, "VIDEO_OUT_OF_RANGE"],
      [{ type: "addClip", trackId: main, assetId: assets.click }, 422, "VIDEO_ASSET_KIND"],
      [{ type: "addClip", trackId: text, assetId: assets.clip }, 422, "VIDEO_ASSET_KIND"],
      [{ type: "addClip", trackId: main, assetId: assets.clip, speed: 8 }, 422, "VIDEO_INVALID_COMMAND"],
      [{ type: "splitClip", clipId: "nope", at: 1 }, 404, "VIDEO_CLIP_NOT_FOUND"],
      [{ type: "addClip", trackId: music, assetId: assets.still }, 422, "VIDEO_ASSET_KIND"],
    ];
    for (const [c, status, code] of cases) {
      const res = await cmd(p, c);
      expect([res.statusCode, res.json().error?.code], JSON.stringify(c)).toEqual([status, code]);
    }
    let res = await cmd(p, { type: "addClip", trackId: main, assetId: assets.clip }, { type: "setTrack", trackId: main, locked: true });
    const clipId = res.json().doc.tracks[0].clips[0].id;
    res = await cmd(p, { type: "moveClip", clipId, start: 1 });
    expect([res.statusCode, res.json().error.code]).toEqual([409, "VIDEO_TRACK_LOCKED"]);
    res = await cmd(p, { type: "setTrack", trackId: main, locked: false }, { type: "addClip", trackId: main, assetId: assets.clip, start: 1 });
    expect([res.statusCode, res.json().error.code]).toEqual([409, "VIDEO_OVERLAP"]);
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/commands`, payload: { command: { type: "explode" } } });
    expect(res.statusCode).toBe(400);
    expect((await t.inject({ method: "GET", url: `${api}/projects/${p.id}` })).json().revision).toBe(1);
  });
});

describe("rendering", () => {
  test("render-plan shows the one-graph command; a render reports progress 0→1 and saves a new asset with a poster", async () => {
    const p = await newProject();
    const [main, text] = p.doc.tracks.map((x) => x.id);
    let res = await cmd(
      p,
      { type: "addClip", trackId: main, assetId: assets.long, in: 0, out: 3 },
      { type: "addClip", trackId: main, assetId: assets.still, duration: 1, kenBurns: { from: 1, to: 1.5 } },
      { type: "addClip", trackId: text, text: { content: "Hello: 100% 'quoted'" }, start: 0.5, duration: 2 },
    );
    const first = res.json().doc.tracks[0].clips[0].id;
    res = await cmd(p, { type: "addTransition", fromClipId: first, kind: "dissolve", duration: 0.4 });
    const plan = (await t.inject({ method: "GET", url: `${api}/projects/${p.id}/render-plan?format=webm&quality=draft` })).json();
    expect(plan.command).toMatch(/^\/usr\/bin\/ffmpeg /);
    expect(plan.args.filter((x: string) => x === "-filter_complex")).toHaveLength(1);
    expect(plan.graph).toContain("xfade=transition=dissolve");
    expect(plan.command).toContain("libvpx-vp9");
    const preview = (await t.inject({ method: "GET", url: `${api}/projects/${p.id}/render-plan?preview=true` })).json();
    expect(preview.args.some((a: string) => a.endsWith(".proxy.mp4"))).toBe(true);

    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/render`, payload: { format: "mp4", quality: "standard" } });
    expect(res.statusCode, res.body).toBe(202);
    const events = await t.inject({ method: "GET", url: `/api/jobs/${res.json().jobId}/events` });
    const progress = [...events.body.matchAll(/"progress":([0-9.e-]+)/g)].map((m) => Number(m[1]));
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] as number);
    const job = await t.waitForJob(res.json().jobId);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const result = job.result as { assetId: string; ingestJobId: string; durationS: number; posterKey: string };
    expect(result.durationS).toBeCloseTo(3.6, 6);
    await t.waitForJob(result.ingestJobId);
    const asset = (await t.inject({ method: "GET", url: `/api/assets/${result.assetId}` })).json();
    expect(asset).toMatchObject({ kind: "video", status: "ready" });
    expect(Math.abs(asset.version.durationMs - 3600)).toBeLessThanOrEqual(40);
  });

  test("cancelling a render kills ffmpeg", async () => {
    const p = await newProject();
    const main = p.doc.tracks[0]?.id;
    const clips = Array.from({ length: 8 }, () => ({ type: "addClip", trackId: main, assetId: assets.long }));
    await cmd(p, ...clips);
    const res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/render`, payload: { format: "webm", quality: "high" } });
    const jobId = res.json().jobId;
    const deadline = Date.now() + 15_000;
    while (ffmpegOf(jobId).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(ffmpegOf(jobId).length).toBeGreaterThan(0);
    await t.inject({ method: "POST", url: `/api/jobs/${jobId}/cancel` });
    const job = await t.waitForJob(jobId);
    expect(job.status).toBe("cancelled");
    const gone = Date.now() + 3000;
    while (ffmpegOf(jobId).length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    expect(ffmpegOf(jobId)).toEqual([]);
  });

  test("a corrupt (truncated) video on the timeline fails the render job with the reason, and leaves no ffmpeg running", async () => {
    // The index (moov) is at the front, so the cut-off file still probes as a 4 s video at upload;
    // only decoding finds that most of its frames are gone.
    const whole = await makeClip(dir, "whole.mp4", 4, { size: "320x180", faststart: true });
    const truncated = readFileSync(whole).subarray(0, Math.floor(statSync(whole).size * 0.4));
    const up = await t.upload("truncated.mp4", truncated, { waitForIngest: false });
    const ingest = await t.waitForJob(up.jobId, { timeoutMs: 20_000 });
    const corrupt = up.assetId;
    const p = await newProject();
    let res = await cmd(p, { type: "addClip", trackId: p.doc.tracks[0]?.id, assetId: corrupt, in: 0, out: 4 });
    if (ingest.status !== "succeeded") {
      // Had ingest caught it, the clip is refused up front: also a clear 4xx.
      expect([res.statusCode, res.json().error.code]).toEqual([409, "VIDEO_ASSET_NOT_READY"]);
      return;
    }
    expect(res.statusCode, res.body).toBe(200);
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/render`, payload: { quality: "draft" } });
    expect(res.statusCode, res.body).toBe(202);
    const jobId = res.json().jobId as string;
    const job = await t.waitForJob(jobId, { timeoutMs: 20_000 });
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code: "VIDEO_SOURCE_CORRUPT" });
    expect((job.error as { message: string }).message).toMatch(new RegExp(`asset ${corrupt} is corrupt or truncated`));
    expect(ffmpegOf(jobId)).toEqual([]);
    expect(ffmpegChildren()).toEqual([]);
  });

  test("a render of a timeline whose asset was deleted is refused", async () => {
    const p = await newProject();
    const victim = await upload("victim.png", await readFileSync(path.join(dir, "still.png")));
    await cmd(p, { type: "addClip", trackId: p.doc.tracks[0]?.id, assetId: victim });
    await t.inject({ method: "DELETE", url: `/api/assets/${victim}` });
    const res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/render`, payload: {} });
    expect([res.statusCode, res.json().error.code]).toEqual([404, "VIDEO_ASSET_NOT_FOUND"]);
  });
});

describe("beats and templates", () => {
  test("beat detection on an uploaded click track, then cuts snapped to its beats", async () => {
    const res = await t.inject({ method: "POST", url: `${api}/beats`, payload: { assetId: assets.click } });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId);
    const { bpm, beats } = job.result as { bpm: number; beats: number[] };
    expect(Math.abs(bpm - 120)).toBeLessThanOrEqual(1);
    const p = await newProject();
    const main = p.doc.tracks[0]?.id;
    await cmd(
      p,
      { type: "addClip", trackId: main, assetId: assets.clip, out: 1.1 },
      { type: "addClip", trackId: main, assetId: assets.clip, out: 1.3 },
      { type: "addClip", trackId: main, assetId: assets.clip },
    );
    const snapped = (await cmd(p, { type: "snapToBeats", trackId: main, beats })).json();
    const starts = snapped.doc.tracks[0].clips.map((c: { start: number }) => c.start);
    for (const s of starts.slice(1)) expect(Math.min(...beats.map((b) => Math.abs(b - s)))).toBeLessThanOrEqual(1 / 25);
  });

  test("an audio clip's waveform: peaks from PCM decoded by ffmpeg, cached in the plugin's storage", async () => {
    let res = await t.inject({ method: "GET", url: `${api}/assets/${assets.click}/waveform` });
    expect(res.statusCode, res.body).toBe(200);
    const wave = res.json() as { durationS: number; peaksPerSecond: number; peaks: number[]; cached: boolean; version: number };
    expect(wave).toMatchObject({ peaksPerSecond: 50, cached: false, version: 1 });
    expect(Math.abs(wave.durationS - 6)).toBeLessThan(0.05);
    expect(wave.peaks).toHaveLength(300);
    // Clicks every 0.5 s from 0.25 s: loud bins there, the quiet bed between.
    const at = (s: number) => wave.peaks[Math.floor(s * 50)] as number;
    for (const beat of [0.25, 1.25, 3.75, 5.25]) expect(at(beat + 0.005)).toBeGreaterThan(0.5);
    for (const gap of [0.5, 1.0, 3.5]) expect(at(gap)).toBeLessThan(0.05);
    res = await t.inject({ method: "GET", url: `${api}/assets/${assets.click}/waveform` });
    expect(res.json()).toMatchObject({ cached: true, peaks: wave.peaks });
    // A video's sound has one too; a photo has none; an unknown asset is a 404.
    const videoPeaks = (await t.inject({ method: "GET", url: `${api}/assets/${assets.clip}/waveform` })).json().peaks as number[];
    expect(Math.abs(videoPeaks.length - 100)).toBeLessThanOrEqual(3); // 2 s of AAC, give or take its padding
    res = await t.inject({ method: "GET", url: `${api}/assets/${assets.still}/waveform` });
    expect([res.statusCode, res.json().error.code]).toEqual([422, "VIDEO_ASSET_KIND"]);
    res = await t.inject({ method: "GET", url: `${api}/assets/5d0c1d8e-8f0e-4d4e-9e55-2f5c3c2b1a00/waveform` });
    expect([res.statusCode, res.json().error.code]).toEqual([404, "VIDEO_ASSET_NOT_FOUND"]);
  });

  test("a project saved as a template is instantiated with new media and text", async () => {
    const p = await newProject();
    const [main, text] = p.doc.tracks.map((x) => x.id);
    const doc = (
      await cmd(
        p,
        { type: "addClip", trackId: main, assetId: assets.clip, out: 1 },
        { type: "addClip", trackId: text, text: { content: "TITLE" }, duration: 1 },
      )
    ).json().doc;
    const slots = [
      { id: "hero", kind: "media", clipId: doc.tracks[0].clips[0].id },
      { id: "title", kind: "text", clipId: doc.tracks[1].clips[0].id },
    ];
    const tpl = await t.inject({ method: "POST", url: `${api}/templates`, payload: { projectId: p.id, name: "Promo", slots } });
    expect(tpl.statusCode, tpl.body).toBe(201);
    let res = await t.inject({ method: "POST", url: `${api}/templates/${tpl.json().id}/instantiate`, payload: { values: { hero: assets.long } } });
    expect([res.statusCode, res.json().error.code]).toEqual([422, "VIDEO_SLOT_MISSING"]);
    res = await t.inject({
      method: "POST",
      url: `${api}/templates/${tpl.json().id}/instantiate`,
      payload: { name: "Promo #1", values: { hero: assets.long, title: "Sale!" } },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name: "Promo #1", revision: 0, durationS: 1 });
    expect(res.json().doc.tracks[0].clips[0].assetId).toBe(assets.long);
    expect(res.json().doc.tracks[1].clips[0].text.content).toBe("Sale!");
  });
});
