import type { JobContext } from "@crealia/kernel/sdk";
import { type Background, compose, type OutputFormat, productPhoto } from "../matte/compose.js";
import { refineMatte } from "../matte/refine.js";
import { segment } from "../matte/segment.js";
import { assetBytes, type CutoutCtx, type CutoutModel, checkAspect, loadPixels } from "../service.js";

export type BackgroundSpec =
  | { kind: "transparent" }
  | { kind: "color"; color: string }
  | { kind: "blur"; sigma?: number }
  | { kind: "image"; assetId: string }
  /** The subject centred on a square canvas (marketplace listings: 2000 px, 10 % padding, white). */
  | { kind: "product"; size?: number; padding?: number; color?: string };

export interface RemovePayload {
  assetId: string;
  version: number;
  model: CutoutModel;
  format: OutputFormat;
  background: BackgroundSpec;
  refine: boolean;
}

export async function removeJob(ctx: CutoutCtx, job: JobContext<RemovePayload>) {
  const { assetId, version, model, format, refine } = job.payload;
  const started = performance.now();
  const img = await loadPixels(ctx, job.tenantId, assetId, version);
  checkAspect(img.width, img.height, `asset ${assetId} version ${version}`);
  await job.progress(0.1);
  const low = await segment(ctx.models, model, img, { jobType: "cutout.remove", signal: job.signal });
  await job.progress(0.7);
  if (job.signal.aborted) throw new Error("cancelled");
  let t = performance.now();
  const alpha = await refineMatte(low, img, { refine });
  const refineMs = performance.now() - t;
  const spec = job.payload.background;
  t = performance.now();
  let encoded: { bytes: Buffer; mime: string };
  if (spec.kind === "product") {
    encoded = await productPhoto(img, alpha, { size: spec.size ?? 2000, padding: spec.padding ?? 0.1, color: spec.color ?? "#ffffff" }, format);
  } else {
    let background: Background;
    if (spec.kind === "image") background = { kind: "image", bytes: await assetBytes(ctx, job.tenantId, spec.assetId) };
    else if (spec.kind === "blur") background = { kind: "blur", sigma: spec.sigma ?? Math.max(4, Math.min(img.width, img.height) / 60) };
    else background = spec;
    // Transparent output as JPEG is impossible: such a request was refused at the route.
    encoded = await compose(img, alpha, background, format);
  }
  const { bytes, mime } = encoded;
  const composeMs = performance.now() - t;
  await job.progress(0.9);
  const added = await ctx.assets.addVersion(job.tenantId, assetId, bytes, { userId: job.userId, idempotencyKey: job.id });
  let covered = 0;
  for (let i = 0; i < alpha.length; i++) covered += alpha[i] as number;
  return {
    status: "done",
    assetId,
    fromVersion: version,
    newVersion: added.version,
    ingestJobId: added.jobId,
    model,
    mime,
    background: spec.kind,
    /** Share of the photo the subject covers (mean alpha). */
    subjectShare: Math.round((covered / 255 / alpha.length) * 1000) / 1000,
    device: low.device,
    fallback: low.fallback,
    timings: { ...low.timings, refineMs: Math.round(refineMs), composeMs: Math.round(composeMs), totalMs: Math.round(performance.now() - started) },
  };
}
