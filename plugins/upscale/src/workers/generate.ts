import type { JobContext } from "@crealia/kernel/sdk";
import type { GenerateRequest } from "../backends/backend.js";
import { upscaleError } from "../errors.js";
import { resolveBackend, type UpscaleCtx } from "../service.js";

export interface GeneratePayload extends GenerateRequest {
  name?: string;
}

export async function generateJob(ctx: UpscaleCtx, job: JobContext<GeneratePayload>) {
  const { backend } = await resolveBackend(ctx, job.tenantId, "generate", "upscale.generate");
  if (!backend.generate) throw upscaleError("UPSCALE_BACKEND_NOT_CONFIGURED", `backend ${backend.id} cannot generate images`);
  await job.progress(0.1);
  const { name, ...req } = job.payload;
  const bytes = await backend.generate(req, { signal: job.signal });
  const created = await ctx.assets.create(job.tenantId, bytes, {
    name: name ?? `generated-${job.id.slice(0, 8)}.png`,
    tags: ["generated"],
    userId: job.userId,
    idempotencyKey: job.id,
  });
  return { status: "generated", assetId: created.assetId, ingestJobId: created.jobId, backend: backend.id, prompt: req.prompt };
}
