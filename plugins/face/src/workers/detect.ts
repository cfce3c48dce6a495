import type { JobContext } from "@crealia/kernel/sdk";
import type { FaceModelChoice } from "../detect/detector.js";
import { detectAndStore, type FaceCtx, irisFetched } from "../service.js";

export interface DetectPayload {
  assetId: string;
  version: number;
  model: FaceModelChoice;
  minScore?: number;
  /** Also the 468-point mesh of each face (absent in jobs queued before landmarks existed: no). */
  landmarks?: boolean;
}

export async function detectJob(ctx: FaceCtx, job: JobContext<DetectPayload>) {
  const { assetId, version, model, minScore } = job.payload;
  const landmarks = job.payload.landmarks === true;
  // The irises refine the mesh's eyes whenever `iris` was fetched (decided here, not by the route, so
  // queued jobs pick it up); a damaged file fails the job with the kernel's checksum error.
  const iris = landmarks && (await irisFetched(ctx));
  await job.progress(0.1);
  const { stored, run } = await detectAndStore(ctx, { tenantId: job.tenantId, signal: job.signal, jobType: "face.detect" }, assetId, version, {
    model,
    minScore,
    landmarks,
    iris,
  });
  return {
    status: "detected",
    assetId,
    version,
    model,
    landmarks,
    iris,
    count: stored.faces.length,
    faces: stored.faces,
    width: stored.width,
    height: stored.height,
    runs: run.runs,
    timings: run.timings,
  };
}
