import type { JobContext } from "@crealia/kernel/sdk";
import type { FaceModelChoice } from "../detect/detector.js";
import { encodeLike } from "../image.js";
import { type RetouchParams, retouch } from "../retouch/retouch.js";
import { detectAndStore, type FaceCtx, loadPixels } from "../service.js";
import { DetectionStore } from "../store.js";

export interface RetouchPayload extends RetouchParams {
  assetId: string;
  version: number;
  model: FaceModelChoice;
}

export async function retouchJob(ctx: FaceCtx, job: JobContext<RetouchPayload>) {
  const { assetId, version, model } = job.payload;
  const started = performance.now();
  const img = await loadPixels(ctx, job.tenantId, assetId, version);
  await job.progress(0.2);
  let detection = await new DetectionStore(ctx.db).find(job.tenantId, assetId, version);
  if (!detection || detection.width !== img.width || detection.height !== img.height) {
    detection = (await detectAndStore(ctx, { tenantId: job.tenantId, signal: job.signal, jobType: "face.retouch" }, assetId, version, model, undefined, img))
      .stored;
  }
  await job.progress(0.4);
  if (job.signal.aborted) throw new Error("cancelled");
  if (detection.faces.length === 0) {
    return { status: "no-faces", assetId, version, faces: 0, newVersion: null };
  }
  const t = performance.now();
  const edited = await retouch(img, detection.faces, job.payload);
  const retouchMs = performance.now() - t;
  await job.progress(0.8);
  const { bytes } = await encodeLike(edited, img.format);
  const added = await ctx.assets.addVersion(job.tenantId, assetId, bytes, { userId: job.userId });
  return {
    status: "retouched",
    assetId,
    fromVersion: version,
    newVersion: added.version,
    ingestJobId: added.jobId,
    faces: detection.faces.length,
    changedPixels: edited.changed,
    params: { smoothing: job.payload.smoothing, eyes: job.payload.eyes, teeth: job.payload.teeth },
    timings: { retouchMs: Math.round(retouchMs), totalMs: Math.round(performance.now() - started) },
  };
}
