import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { definePlugin, type JobContext } from "@crealia/kernel/sdk";
import { BEAT_SAMPLE_RATE, detectBeats } from "./audio/beats.js";
import type { VideoEffectContribution } from "./effects.js";
import { ProjectService } from "./projects.js";
import { decodePcm } from "./render/ffmpeg.js";
import { type RenderPayload, renderJob } from "./render/render-job.js";
import { registerRoutes } from "./routes.js";
import { TemplateService } from "./templates.js";

export type { VideoEffectContribution } from "./effects.js";

export default definePlugin({
  setup(ctx) {
    const projects = new ProjectService(ctx);
    const templates = new TemplateService(ctx, projects);
    const effects = ctx.extensions.declare<VideoEffectContribution>("video.effect");
    registerRoutes(ctx, projects, templates, effects);
    ctx.jobs.process("video.render", (job: JobContext<RenderPayload>) => renderJob(ctx, projects, effects, job));
    ctx.jobs.process("video.beats", async (job: JobContext<{ assetId: string }>) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), `crealia-video-beats-${job.id}-`));
      try {
        const { stream } = await ctx.assets.open(job.tenantId, job.payload.assetId);
        const file = path.join(dir, "source");
        await pipeline(stream, createWriteStream(file));
        await job.progress(0.3);
        const pcm = await decodePcm(file, BEAT_SAMPLE_RATE, job.signal);
        await job.progress(0.7);
        const { bpm, beats, durationS } = detectBeats(pcm, BEAT_SAMPLE_RATE);
        return { status: "analysed", assetId: job.payload.assetId, bpm, beats, durationS };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
});
