import { assetIdsSchema, type PluginContext } from "@crealia/kernel/sdk";
import { sdWebUiUpscalers } from "./backends/sdwebui.js";
import { imageVersion, onnxModelFor, resolveBackend, type UpscaleSettings } from "./service.js";
import type { GeneratePayload } from "./workers/generate.js";
import type { StylePayload } from "./workers/style.js";
import { FALLBACK_REASONS, planPasses, type UpscalePayload } from "./workers/upscale.js";

const params = { type: "object", required: ["assetId"], properties: { assetId: { type: "string", format: "uuid" } } } as const;
const PROMPT = { type: "string", minLength: 1, maxLength: 4000 } as const;
const UPSCALE_PROPERTIES = {
  scale: { type: "integer", enum: [2, 3, 4] },
  fallback: { type: "string", enum: ["lanczos"] },
} as const;

/** What one upscale asks for: the factor, and whether a plain lanczos resize may stand in. */
type UpscaleBody = { scale?: number; fallback?: "lanczos" };

export function registerRoutes(ctx: PluginContext) {
  ctx.http.post<{ Params: { assetId: string }; Body: UpscaleBody & { version?: number } }>(
    "/assets/:assetId/upscale",
    {
      config: { permission: "upscale.run" },
      schema: {
        params,
        body: { type: "object", additionalProperties: false, properties: { ...UPSCALE_PROPERTIES, version: { type: "integer", minimum: 1 } } },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const payload = await upscalePayload(tenantId, req.params.assetId, req.body ?? {});
      const job = await ctx.jobs.enqueue("upscale.upscale", payload, { tenantId, userId, assetId: req.params.assetId });
      return reply.status(202).send({ jobId: job.id, version: payload.version });
    },
  );

  /** Many photos at one scale: one parent job (`kernel.batch`) with an upscale child per photo. */
  ctx.http.post<{ Body: UpscaleBody & { assetIds: string[] } }>(
    "/batch/upscale",
    {
      config: { permission: "upscale.run" },
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["assetIds"],
          properties: {
            ...UPSCALE_PROPERTIES,
            assetIds: assetIdsSchema,
          },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const { assetIds, ...body } = req.body;
      // Every photo (and the backend) is checked before anything is queued: one refusal refuses the batch.
      const payloads: UpscalePayload[] = [];
      for (const id of assetIds) payloads.push(await upscalePayload(tenantId, id, body));
      const { parent, children } = await ctx.jobs.enqueueBatch("upscale.upscale", payloads, { tenantId, userId });
      return reply.status(202).send({ jobId: parent.id, children: children.map((c) => c.id) });
    },
  );

  /** Checks one photo and the tenant's backend for an upscale and gives the job payload; throws the 4xx/409 a caller should see. */
  async function upscalePayload(tenantId: string, assetId: string, body: UpscaleBody & { version?: number }): Promise<UpscalePayload> {
    const { version } = await imageVersion(ctx, tenantId, assetId, body.version);
    const scale = body.scale ?? 2;
    try {
      planPasses((await resolveBackend(ctx, tenantId, "upscale")).backend, scale);
    } catch (err) {
      // The lanczos fallback only stands in for a missing backend or model, and only when asked for.
      if (!(body.fallback === "lanczos" && FALLBACK_REASONS[(err as { code?: string }).code ?? ""])) throw err;
    }
    return { assetId, version, scale, ...(body.fallback ? { fallback: body.fallback } : {}) };
  }

  ctx.http.post<{ Body: Omit<GeneratePayload, "width" | "height"> & { width?: number; height?: number } }>(
    "/generate",
    {
      config: { permission: "upscale.generate" },
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["prompt"],
          properties: {
            prompt: PROMPT,
            negativePrompt: { type: "string", maxLength: 4000 },
            width: { type: "integer", minimum: 64, maximum: 2048, multipleOf: 8 },
            height: { type: "integer", minimum: 64, maximum: 2048, multipleOf: 8 },
            steps: { type: "integer", minimum: 1, maximum: 150 },
            seed: { type: "integer", minimum: -1 },
            cfgScale: { type: "number", minimum: 1, maximum: 30 },
            name: { type: "string", minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      await resolveBackend(ctx, tenantId, "generate");
      const payload: GeneratePayload = { ...req.body, width: req.body.width ?? 512, height: req.body.height ?? 512 };
      const job = await ctx.jobs.enqueue("upscale.generate", payload, { tenantId, userId });
      return reply.status(202).send({ jobId: job.id });
    },
  );

  ctx.http.post<{ Params: { assetId: string }; Body: Omit<StylePayload, "assetId" | "version" | "strength"> & { strength?: number; version?: number } }>(
    "/assets/:assetId/style",
    {
      config: { permission: "upscale.generate" },
      schema: {
        params,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["prompt"],
          properties: {
            prompt: PROMPT,
            negativePrompt: { type: "string", maxLength: 4000 },
            strength: { type: "number", minimum: 0, maximum: 1 },
            steps: { type: "integer", minimum: 1, maximum: 150 },
            seed: { type: "integer", minimum: -1 },
            version: { type: "integer", minimum: 1 },
          },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const { version, ...rest } = req.body;
      const v = await imageVersion(ctx, tenantId, req.params.assetId, version);
      await resolveBackend(ctx, tenantId, "style");
      const payload: StylePayload = { ...rest, assetId: req.params.assetId, version: v.version, strength: rest.strength ?? 0.5 };
      const job = await ctx.jobs.enqueue("upscale.style", payload, { tenantId, userId, assetId: req.params.assetId });
      return reply.status(202).send({ jobId: job.id, version: v.version });
    },
  );

  /**
   * What this tenant's backend can do, for sdwebui whether the server answers (and its upscalers),
   * and (but for sdwebui) the ONNX upscaling model's state with the command that fetches it.
   */
  ctx.http.get("/backend", async (req) => {
    const { tenantId } = req.identity;
    const settings = await ctx.settings.get<UpscaleSettings>(tenantId);
    const can: Record<string, string | null> = {};
    let id: string | null = null;
    for (const capability of ["upscale", "generate", "style"] as const) {
      try {
        id = (await resolveBackend(ctx, tenantId, capability)).backend.id;
        can[capability] = null;
      } catch (err) {
        can[capability] = (err as Error).message;
      }
    }
    let server: { reachable: boolean; upscalers?: string[]; problem?: string } | null = null;
    if (settings.backend === "sdwebui" && settings.sdwebui?.url) {
      try {
        server = { reachable: true, upscalers: await sdWebUiUpscalers({ url: settings.sdwebui.url, auth: await ctx.secrets.get(tenantId, "sdwebuiAuth") }) };
      } catch (err) {
        server = { reachable: false, problem: (err as Error).message };
      }
    }
    // The ONNX upscaling model also for "none": turning on auto or onnx is one setting away.
    const modelId = settings.backend === "sdwebui" ? undefined : onnxModelFor(settings, "upscale");
    let model: { id: string; status: string; fetch: string } | null = null;
    if (modelId) {
      const status = await ctx.models.status(modelId).catch(() => "unknown");
      model = { id: modelId, status, fetch: `crealia models fetch ${modelId}${status === "corrupt" ? " --force" : ""}` };
    }
    return {
      backend: settings.backend,
      id,
      model,
      capabilities: Object.fromEntries(Object.entries(can).map(([k, v]) => [k, { available: v === null, problem: v }])),
      server,
    };
  });
}
