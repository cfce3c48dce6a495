import type { JobContext } from "@crealia/kernel/sdk";
import { upscaleError } from "../errors.js";
import { loadPixels, resolveBackend, type UpscaleCtx } from "../service.js";

export interface StylePayload {
  assetId: string;
  version: number;
  prompt: string;
  negativePrompt?: string;
  strength: number;
  steps?: number;
  seed?: number;
}

export async function styleJob(ctx: UpscaleCtx, job: JobContext<StylePayload>) {
  const { backend } = await resolveBackend(ctx, job.tenantId, "style", "upscale.style");
  if (!backend.style) throw upscaleError("UPSCALE_BACKEND_NOT_CONFIGURED", `backend ${backend.id} cannot restyle images`);
  const { assetId, version, ...req } = job.payload;
  const image = await loadPixels(ctx, job.tenantId, assetId, version);
  await job.progress(0.1);
  const bytes = await backend.style({ ...req, image }, { signal: job.signal });
  const added = await ctx.assets.addVersion(job.tenantId, assetId, bytes, { userId: job.userId, idempotencyKey: job.id });
  return { status: "styled", assetId, fromVersion: version, newVersion: added.version, ingestJobId: added.jobId, backend: backend.id };
}
