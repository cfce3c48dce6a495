import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { ExtensionPointHandle, JobContext, PluginContext } from "@crealia/kernel/sdk";
import { compileTimeline, type RenderPlan, type SourceInfo } from "../compiler/compile.js";
import type { RenderFormat, RenderQuality } from "../compiler/presets.js";
import { resolveEffects, type VideoEffectContribution } from "../effects.js";
import { videoError } from "../errors.js";
import { type ProjectDoc, projectDuration, resolutionFor } from "../model/types.js";
import type { ProjectService } from "../projects.js";
import { CancelledError, checkIntegrity, FFMPEG, FfmpegError, probe, runFfmpeg } from "./ffmpeg.js";

export interface RenderPayload {
  projectId: string;
  revision: number;
  format: RenderFormat;
  quality: RenderQuality;
  /** Low-resolution render from the assets' proxies. */
  preview: boolean;
}

export interface RenderResult {
  status: "rendered";
  assetId: string;
  ingestJobId: string;
  format: RenderFormat;
  durationS: number;
  frames: number;
  width: number;
  height: number;
  posterKey: string;
  command: string;
}

export const PREVIEW_SHORT_SIDE = 360;

const assetIdsOf = (doc: ProjectDoc) => [...new Set(doc.tracks.flatMap((t) => t.clips.map((c) => c.assetId).filter((x): x is string => !!x)))];

/**
 * Where each asset of the timeline is read from, from the assets' metadata (no download):
 * the same paths the render job writes them to in `workDir`.
 */
export async function planSources(
  ctx: PluginContext,
  tenantId: string,
  doc: ProjectDoc,
  workDir: string,
  preview: boolean,
): Promise<{ sources: Map<string, SourceInfo>; files: Map<string, string | undefined> }> {
  const sources = new Map<string, SourceInfo>();
  const files = new Map<string, string | undefined>();
  for (const id of assetIdsOf(doc)) {
    const a = await ctx.assets.get(tenantId, id);
    if (!a) throw videoError("VIDEO_ASSET_NOT_FOUND", `asset ${id} of the timeline is missing or deleted`);
    if (a.status !== "ready") throw videoError("VIDEO_ASSET_NOT_READY", `asset ${a.name} is ${a.status}`);
    const useProxy = preview && a.kind === "video" && a.files.includes("proxy.mp4");
    files.set(id, useProxy ? "proxy.mp4" : undefined);
    const meta = a.metadata as { audio?: unknown; video?: unknown };
    sources.set(id, {
      path: path.join(workDir, `src-${id}${useProxy ? ".proxy.mp4" : ""}`),
      kind: a.kind,
      hasVideo: a.kind !== "audio" && (a.kind === "image" || Boolean(meta.video)),
      hasAudio: a.kind !== "image" && Boolean(meta.audio ?? a.kind === "audio"),
      durationS: a.durationMs === null ? null : a.durationMs / 1000,
    });
  }
  return { sources, files };
}

/** The render's ffmpeg command for a document (what `GET …/render-plan` shows and the job runs). */
export async function buildPlan(
  ctx: PluginContext,
  effects: ExtensionPointHandle<VideoEffectContribution> | null,
  tenantId: string,
  doc: ProjectDoc,
  opts: { format: RenderFormat; quality: RenderQuality; preview: boolean; workDir: string; write: boolean },
): Promise<{ plan: RenderPlan; files: Map<string, string | undefined>; sources: Map<string, SourceInfo> }> {
  if (projectDuration(doc) * doc.fps < 1) throw videoError("VIDEO_EMPTY_TIMELINE", "the timeline is empty");
  const { sources, files } = await planSources(ctx, tenantId, doc, opts.workDir, opts.preview);
  const shortSide = opts.preview ? Math.min(PREVIEW_SHORT_SIDE, Math.min(doc.width, doc.height)) : undefined;
  const size = shortSide ? resolutionFor(doc.aspect, shortSide) : { width: doc.width, height: doc.height };
  const fx = await resolveEffects(doc, effects, { ...size, tenantId, preview: opts.preview, workDir: opts.workDir, write: opts.write });
  const plan = compileTimeline(doc, sources, {
    output: path.join(opts.workDir, `render.${opts.format}`),
    format: opts.format,
    quality: opts.preview ? "draft" : opts.quality,
    workDir: opts.workDir,
    shortSide,
    effects: fx,
    ffmpegPath: FFMPEG,
  });
  return { plan, files, sources };
}

/** The `video.render` job: fetch the sources, run the one-graph command with progress, save the result as a new asset. */
export async function renderJob(
  ctx: PluginContext,
  projects: ProjectService,
  effects: ExtensionPointHandle<VideoEffectContribution> | null,
  job: JobContext<RenderPayload>,
): Promise<RenderResult> {
  const { projectId, revision, format, quality, preview } = job.payload;
  const workDir = await mkdtemp(path.join(os.tmpdir(), `crealia-video-${job.id}-`));
  try {
    await job.progress(0);
    const { doc } = await projects.docAt(job.tenantId, projectId, revision);
    const { plan, files, sources } = await buildPlan(ctx, effects, job.tenantId, doc, { format, quality, preview, workDir, write: true });
    // Copy the sources next to the command, then check each really is what the asset says.
    for (const [assetId, file] of files) {
      const src = sources.get(assetId) as SourceInfo;
      const { stream } = await ctx.assets.open(job.tenantId, assetId, file ? { file } : undefined);
      await pipeline(stream, createWriteStream(src.path));
      if (job.signal.aborted) throw new Error("cancelled");
      const probed = await probe(src.path, src.kind).catch((e: Error) => {
        throw videoError("VIDEO_FFMPEG_FAILED", `asset ${assetId} is not readable media: ${e.message}`);
      });
      if (src.kind === "video" && !probed.hasVideo) throw videoError("VIDEO_ASSET_KIND", `asset ${assetId} has no video stream`);
      if (src.kind !== "image")
        await checkIntegrity(src.path, job.signal).catch((e: Error) => {
          if (e instanceof CancelledError) throw e;
          throw videoError("VIDEO_SOURCE_CORRUPT", `asset ${assetId} is corrupt or truncated: ${e.message}`, { assetId });
        });
    }
    for (const f of plan.files) await writeFile(f.path, f.content);
    job.log.info("rendering", { projectId, revision, frames: plan.frames, format });
    await runFfmpeg(plan.args, {
      durationS: plan.durationS,
      signal: job.signal,
      onProgress: (f) => void job.progress(Math.min(0.97, f * 0.97)),
    }).catch((err: unknown) => {
      throw explainFailure(err, plan.args, sources);
    });
    const output = plan.args[plan.args.length - 1] as string;
    const poster = path.join(workDir, "poster.jpg");
    await runFfmpeg(
      ["-nostdin", "-y", "-loglevel", "error", "-ss", String(Math.min(plan.durationS / 2, 3)), "-i", output, "-frames:v", "1", "-q:v", "3", poster],
      {
        signal: job.signal,
      },
    );
    const posterKey = `renders/${job.id}/poster.jpg`;
    await ctx.storage.put(job.tenantId, posterKey, await readFile(poster), { contentType: "image/jpeg" });
    if ((await stat(output)).size === 0) throw videoError("VIDEO_FFMPEG_FAILED", "ffmpeg wrote an empty file");
    const created = await ctx.assets.create(job.tenantId, output, {
      name: `${doc.name}${preview ? " (preview)" : ""}.${format}`,
      tags: ["video-render", ...(preview ? ["preview"] : [])],
      userId: job.userId,
      // A retried render (a worker died after the upload) gives back the asset, not a second copy.
      idempotencyKey: job.id,
    });
    await job.progress(1);
    await ctx.events.publish("video.rendered", { projectId, revision, assetId: created.assetId, preview }, { tenantId: job.tenantId });
    return {
      status: "rendered",
      assetId: created.assetId,
      ingestJobId: created.jobId,
      format,
      durationS: plan.durationS,
      frames: plan.frames,
      width: plan.width,
      height: plan.height,
      posterKey,
      command: plan.command,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Turns an ffmpeg failure into a reason a person can act on: when a decoding error names one of
 * the sources (by its path, or as input `#<n>:<stream>`), that asset is corrupt or truncated.
 * Anything else (a filter graph that would not configure…) stays VIDEO_FFMPEG_FAILED.
 */
export function explainFailure(err: unknown, args: readonly string[], sources: ReadonlyMap<string, SourceInfo>): unknown {
  if (!(err instanceof FfmpegError)) return err;
  const inputs = args.flatMap((a, i) => (a === "-i" ? [args[i + 1] as string] : []));
  const byPath = new Map([...sources].map(([id, s]) => [s.path, id]));
  const decoding = /Error while decoding stream|corrupt input packet|partial file|Invalid data found|moov atom not found|Invalid NAL/i;
  for (const line of err.stderr.split("\n")) {
    if (!decoding.test(line)) continue;
    const named = [...byPath.keys()].find((p) => line.includes(p));
    const index = /stream #(\d+):\d/.exec(line)?.[1];
    const file = named ?? (index === undefined ? undefined : inputs[Number(index)]);
    const assetId = file === undefined ? undefined : byPath.get(file);
    if (!assetId) continue;
    const what = line
      .replaceAll(file as string, "")
      .replace(/^[:\s]+/, "")
      .trim();
    return videoError("VIDEO_SOURCE_CORRUPT", `asset ${assetId} is corrupt or truncated: ffmpeg could not decode it (${what.slice(0, 200)})`, { assetId });
  }
  return err;
}
