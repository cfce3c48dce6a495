import type { JobContext } from "@crealia/kernel/sdk";
import type { FaceModelChoice } from "../detect/detector.js";
import { encodeLike } from "../image.js";
import { type RetouchParams, retouch } from "../retouch/retouch.js";
import { detectAndStore, type FaceCtx, irisInstalled, loadPixels, meshInstalled } from "../service.js";
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
  const found = await new DetectionStore(ctx.db).find(job.tenantId, assetId, version);
  // Landmarks whenever the mesh is there (finer masks); the warps cannot do without them.
  const warps = (job.payload.eyeEnlarge ?? 0) > 0 || (job.payload.faceSlim ?? 0) > 0;
  const landmarks = warps || (await meshInstalled(ctx));
  // Irises (finer eye masks) when the model is there and sound; a refinement, never a reason to fail.
  const iris = landmarks && (await irisInstalled(ctx));
  const usable =
    found &&
    found.width === img.width &&
    found.height === img.height &&
    (!landmarks || found.faces.every((f) => f.landmarks)) &&
    (!iris || found.faces.every((f) => f.landmarks?.irises));
  const detection = usable
    ? found
    : (await detectAndStore(ctx, { tenantId: job.tenantId, signal: job.signal, jobType: "face.retouch" }, assetId, version, { model, landmarks, iris, img }))
        .stored;
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
  const added = await ctx.assets.addVersion(job.tenantId, assetId, bytes, { userId: job.userId, idempotencyKey: job.id });
  return {
    status: "retouched",
    assetId,
    fromVersion: version,
    newVersion: added.version,
    ingestJobId: added.jobId,
    faces: detection.faces.length,
    changedPixels: edited.changed,
    // Spots removed, one count per face in the stored detection's order.
    blemishesRemoved: edited.blemishes,
    params: {
      smoothing: job.payload.smoothing,
      eyes: job.payload.eyes,
      teeth: job.payload.teeth,
      eyeEnlarge: job.payload.eyeEnlarge ?? 0,
      faceSlim: job.payload.faceSlim ?? 0,
      blemishes: job.payload.blemishes ?? 0,
    },
    timings: { retouchMs: Math.round(retouchMs), totalMs: Math.round(performance.now() - started) },
  };
}
