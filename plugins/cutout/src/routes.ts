import { assetIdsSchema, type PluginContext } from "@crealia/kernel/sdk";
import { cutoutError } from "./errors.js";
import { CUTOUT_MODELS, type CutoutModel, imageVersion } from "./service.js";
import type { BackgroundSpec, RemovePayload } from "./workers/remove.js";

const background = {
  oneOf: [
    { type: "object", additionalProperties: false, required: ["kind"], properties: { kind: { const: "transparent" } } },
    {
      type: "object",
      additionalProperties: false,
      required: ["kind", "color"],
      properties: { kind: { const: "color" }, color: { type: "string", pattern: "^#[0-9a-fA-F]{6}$" } },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["kind"],
      properties: { kind: { const: "blur" }, sigma: { type: "number", minimum: 0.5, maximum: 200 } },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["kind", "assetId"],
      properties: { kind: { const: "image" }, assetId: { type: "string", format: "uuid" } },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["kind"],
      properties: {
        kind: { const: "product" },
        size: { type: "integer", minimum: 64, maximum: 4096 },
        padding: { type: "number", minimum: 0, maximum: 0.45 },
        color: { type: "string", pattern: "^#[0-9a-fA-F]{6}$" },
      },
    },
  ],
} as const;

type RemoveBody = { model?: CutoutModel; format?: RemovePayload["format"]; background?: BackgroundSpec; refine?: boolean; version?: number };

const removeProperties = {
  model: { type: "string", enum: [...CUTOUT_MODELS] },
  format: { type: "string", enum: ["png", "webp", "jpeg"] },
  background,
  refine: { type: "boolean" },
} as const;

/** Checks one request and gives the job payload; throws the 4xx/409 a caller should see. */
async function payloadFor(ctx: PluginContext, tenantId: string, assetId: string, body: RemoveBody): Promise<RemovePayload> {
  const bg: BackgroundSpec = body.background ?? { kind: "transparent" };
  const format = body.format ?? (bg.kind === "transparent" ? "png" : "jpeg");
  if (bg.kind === "transparent" && format === "jpeg") throw cutoutError("CUTOUT_FORMAT_NO_ALPHA", "a transparent cut-out needs png or webp: JPEG has no alpha");
  const version = await imageVersion(ctx, tenantId, assetId, body.version);
  if (bg.kind === "image") await imageVersion(ctx, tenantId, bg.assetId);
  const model = body.model ?? "isnet-small";
  await ctx.models.require(model);
  return { assetId, version, model, format, background: bg, refine: body.refine ?? true };
}

export function registerRoutes(ctx: PluginContext) {
  ctx.http.post<{ Params: { assetId: string }; Body: RemoveBody }>(
    "/assets/:assetId/remove",
    {
      config: { permission: "cutout.remove" },
      schema: {
        params: { type: "object", required: ["assetId"], properties: { assetId: { type: "string", format: "uuid" } } },
        body: {
          type: "object",
          additionalProperties: false,
          properties: { ...removeProperties, version: { type: "integer", minimum: 1 } },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const payload = await payloadFor(ctx, tenantId, req.params.assetId, req.body ?? {});
      const { version, model } = payload;
      const job = await ctx.jobs.enqueue("cutout.remove", payload, { tenantId, userId, assetId: req.params.assetId });
      return reply.status(202).send({ jobId: job.id, version, model });
    },
  );

  /** Many photos with the same settings: one parent job (`kernel.batch`) with a child per photo. */
  ctx.http.post<{ Body: RemoveBody & { assetIds: string[] } }>(
    "/batch",
    {
      config: { permission: "cutout.remove" },
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["assetIds"],
          properties: {
            ...removeProperties,
            assetIds: assetIdsSchema,
          },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const { assetIds, ...body } = req.body;
      const payloads: RemovePayload[] = [];
      for (const id of assetIds) payloads.push(await payloadFor(ctx, tenantId, id, body));
      const { parent, children } = await ctx.jobs.enqueueBatch("cutout.remove", payloads, { tenantId, userId });
      return reply.status(202).send({ jobId: parent.id, children: children.map((c) => c.id) });
    },
  );

  ctx.http.get("/models", async () => ({
    models: await Promise.all(
      CUTOUT_MODELS.map(async (id) => {
        const m = ctx.models.get(id);
        return { id, license: m.license, licenseNote: m.licenseNote ?? null, size: m.size, status: await ctx.models.status(id) };
      }),
    ),
  }));
}
