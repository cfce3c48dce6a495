import type { PluginContext } from "@crealia/kernel/sdk";
import sharp from "sharp";
import type { FaceModelChoice } from "./detect/detector.js";
import { faceError } from "./errors.js";
import { type FaceMaskKind, faceMask, MASK_KINDS } from "./retouch/masks.js";
import { imageVersion, requireModels } from "./service.js";
import { DetectionStore } from "./store.js";
import type { DetectPayload } from "./workers/detect.js";
import type { RetouchPayload } from "./workers/retouch.js";

const MODEL = { type: "string", enum: ["front", "back", "auto"], default: "auto" } as const;
const AMOUNT = { type: "number", minimum: 0, maximum: 1 } as const;
const params = { type: "object", required: ["assetId"], properties: { assetId: { type: "string", format: "uuid" } } } as const;

export function registerRoutes(ctx: PluginContext) {
  const store = new DetectionStore(ctx.db);

  ctx.http.post<{ Params: { assetId: string }; Body: { model?: FaceModelChoice; version?: number; minScore?: number } }>(
    "/assets/:assetId/detect",
    {
      config: { permission: "face.detect" },
      schema: {
        params,
        body: {
          type: "object",
          additionalProperties: false,
          properties: { model: MODEL, version: { type: "integer", minimum: 1 }, minScore: { type: "number", minimum: 0.05, maximum: 0.99 } },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const body = req.body ?? {};
      const model = body.model ?? "auto";
      const { version } = await imageVersion(ctx, tenantId, req.params.assetId, body.version);
      await requireModels(ctx, model);
      const payload: DetectPayload = { assetId: req.params.assetId, version, model, ...(body.minScore === undefined ? {} : { minScore: body.minScore }) };
      const job = await ctx.jobs.enqueue("face.detect", payload, { tenantId, userId, assetId: req.params.assetId });
      return reply.status(202).send({ jobId: job.id, version, model });
    },
  );

  ctx.http.get<{ Params: { assetId: string }; Querystring: { version?: number; model?: FaceModelChoice } }>(
    "/assets/:assetId/faces",
    {
      schema: {
        params,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { version: { type: "integer", minimum: 1 }, model: { type: "string", enum: ["front", "back", "auto"] } },
        },
      },
    },
    async (req) => {
      const { tenantId } = req.identity;
      const { version } = await imageVersion(ctx, tenantId, req.params.assetId, req.query.version);
      const found = await store.find(tenantId, req.params.assetId, version, req.query.model);
      if (!found) throw faceError("FACE_NOT_DETECTED", `faces of asset ${req.params.assetId} version ${version} were not detected yet`);
      return found;
    },
  );

  ctx.http.get<{ Params: { assetId: string }; Querystring: { version?: number; kind?: FaceMaskKind; width?: number } }>(
    "/assets/:assetId/mask.png",
    {
      schema: {
        params,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            version: { type: "integer", minimum: 1 },
            kind: { type: "string", enum: [...MASK_KINDS], default: "skin" },
            width: { type: "integer", minimum: 16, maximum: 4096 },
          },
        },
      },
    },
    async (req, reply) => {
      const { tenantId } = req.identity;
      const { version } = await imageVersion(ctx, tenantId, req.params.assetId, req.query.version);
      const found = await store.find(tenantId, req.params.assetId, version);
      if (!found) throw faceError("FACE_NOT_DETECTED", `faces of asset ${req.params.assetId} version ${version} were not detected yet`);
      const scale = Math.min(1, (req.query.width ?? 1024) / found.width);
      const w = Math.max(1, Math.round(found.width * scale));
      const h = Math.max(1, Math.round(found.height * scale));
      const faces = found.faces.map((f) => ({
        ...f,
        box: { x: f.box.x * scale, y: f.box.y * scale, width: f.box.width * scale, height: f.box.height * scale },
        keypoints: f.keypoints.map((k) => ({ ...k, x: k.x * scale, y: k.y * scale })),
      }));
      const mask = await faceMask(faces, w, h, req.query.kind ?? "skin");
      const png = await sharp(mask, { raw: { width: w, height: h, channels: 1 } })
        .png()
        .toBuffer();
      return reply.type("image/png").send(png);
    },
  );

  ctx.http.post<{ Params: { assetId: string }; Body: { smoothing?: number; eyes?: number; teeth?: number; model?: FaceModelChoice; version?: number } }>(
    "/assets/:assetId/retouch",
    {
      config: { permission: "face.retouch" },
      schema: {
        params,
        body: {
          type: "object",
          additionalProperties: false,
          properties: { smoothing: AMOUNT, eyes: AMOUNT, teeth: AMOUNT, model: MODEL, version: { type: "integer", minimum: 1 } },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const body = req.body ?? {};
      const model = body.model ?? "auto";
      const { version } = await imageVersion(ctx, tenantId, req.params.assetId, body.version);
      if (!(await store.find(tenantId, req.params.assetId, version))) await requireModels(ctx, model);
      const payload: RetouchPayload = {
        assetId: req.params.assetId,
        version,
        model,
        smoothing: body.smoothing ?? 0.5,
        eyes: body.eyes ?? 0.3,
        teeth: body.teeth ?? 0.3,
      };
      const job = await ctx.jobs.enqueue("face.retouch", payload, { tenantId, userId, assetId: req.params.assetId });
      return reply.status(202).send({ jobId: job.id, version });
    },
  );
}
