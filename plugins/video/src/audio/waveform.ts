import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { PluginContext } from "@crealia/kernel/sdk";
import { videoError } from "../errors.js";
import { decodePcm } from "../render/ffmpeg.js";

/** Sample rate the waveform is computed at: plenty for peaks drawn a few pixels apart. */
export const WAVEFORM_RATE = 8000;
/** Peaks per second by default, and the most peaks one waveform holds (long files get fewer per second). */
export const PEAKS_PER_SECOND = 50;
export const MAX_PEAKS = 36_000;

export interface Waveform {
  assetId: string;
  version: number;
  durationS: number;
  peaksPerSecond: number;
  /** Peak absolute amplitude of each bin, 0..1. */
  peaks: number[];
  /** Whether it came from the cache in the plugin's storage. */
  cached: boolean;
}

/** The peak absolute amplitude of each run of `rate / perSecond` samples, rounded to 1/1000. */
export function computePeaks(pcm: Float32Array, rate: number, perSecond: number): number[] {
  const bin = Math.max(1, Math.round(rate / perSecond));
  const out: number[] = new Array(Math.ceil(pcm.length / bin));
  for (let b = 0; b < out.length; b++) {
    let peak = 0;
    const end = Math.min(pcm.length, (b + 1) * bin);
    for (let i = b * bin; i < end; i++) {
      const v = Math.abs(pcm[i] as number);
      if (v > peak) peak = v;
    }
    out[b] = Math.round(Math.min(1, peak) * 1000) / 1000;
  }
  return out;
}

/**
 * An asset's waveform: computed once from PCM decoded by ffmpeg, then served from the plugin's
 * storage (`waveforms/<asset>/v<version>.json`), so a new version gets a new one.
 */
export async function waveformOf(ctx: PluginContext, tenantId: string, assetId: string): Promise<Waveform> {
  const a = /^[0-9a-f-]{36}$/i.test(assetId) ? await ctx.assets.get(tenantId, assetId) : null;
  if (!a) throw videoError("VIDEO_ASSET_NOT_FOUND", `no asset ${assetId}`);
  if (a.kind === "image") throw videoError("VIDEO_ASSET_KIND", "a photo has no waveform");
  if (a.status !== "ready") throw videoError("VIDEO_ASSET_NOT_READY", `asset ${a.name} is ${a.status}`);
  if (a.kind === "video" && !(a.metadata as { audio?: unknown }).audio) throw videoError("VIDEO_NO_AUDIO", "this video has no sound");
  const key = `waveforms/${a.id}/v${a.currentVersion}.json`;
  if (await ctx.storage.exists(tenantId, key)) {
    const stored = JSON.parse((await ctx.storage.getBuffer(tenantId, key)).toString("utf8")) as Omit<Waveform, "cached">;
    return { ...stored, cached: true };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "crealia-video-waveform-"));
  try {
    const file = path.join(dir, "source");
    const { stream } = await ctx.assets.open(tenantId, a.id);
    await pipeline(stream, createWriteStream(file));
    const pcm = await decodePcm(file, WAVEFORM_RATE);
    const durationS = pcm.length / WAVEFORM_RATE;
    const perSecond = Math.min(PEAKS_PER_SECOND, MAX_PEAKS / Math.max(durationS, 1e-3));
    const wave = {
      assetId: a.id,
      version: a.currentVersion,
      durationS,
      peaksPerSecond: WAVEFORM_RATE / Math.max(1, Math.round(WAVEFORM_RATE / perSecond)),
      peaks: computePeaks(pcm, WAVEFORM_RATE, perSecond),
    };
    await ctx.storage.put(tenantId, key, Buffer.from(JSON.stringify(wave)), { contentType: "application/json" });
    return { ...wave, cached: false };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
