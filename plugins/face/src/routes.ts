import { assetIdsSchema, type PluginContext } from "@crealia/kernel/sdk";
import sharp from "sharp";
import { type FaceModelChoice, scaleFaces } from "./detect/detector.js";
import { faceError } from "./errors.js";
import { type FaceMaskKind, faceMask, MASK_KINDS } from "./retouch/masks.js";
import { imageVersion, meshFetched, requireModels } from "./service.js";
import { DetectionStore } from "./store.js";
import type { DetectPayload } from "./workers/detect.js";
import type { RetouchPayload } from "./workers/retouch.js";

const MODEL = { type: "string", enum: ["front", "back", "auto"], default: "auto" } as const;
const AMOUNT = { type: "number", minimum: 0, maximum: 1 } as const;
const RETOUCH_PROPERTIES = {
  smoothing: AMOUNT,
  eyes: AMOUNT,
  teeth: AMOUNT,
  eyeEnlarge: AMOUNT,
  faceSlim: AMOUNT,
  blemishes: AMOUNT,
  model: MODEL,
} as const;
const params = { type: "object", required: ["assetId"], properties: { assetId: { type: "string", format: "uuid" } } } as const;

/** The retouch sliders (0..1 each) and the detector choice: one photo's or a batch's. */
type RetouchBody = {
  smoothing?: number;
  eyes?: number;
  teeth?: number;
  eyeEnlarge?: number;
  faceSlim?: number;
  blemishes?: number;
  model?: FaceModelChoice;
};

export function registerRoutes(ctx: PluginContext) {
  const store = new DetectionStore(ctx.db);

  ctx.http.post<{ Params: { assetId: string }; Body: { model?: FaceModelChoice; version?: number; minScore?: number; landmarks?: boolean } }>(
    "/assets/:assetId/detect",
    {
      config: { permission: "face.detect" },
      schema: {
        params,
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            model: MODEL,
            version: { type: "integer", minimum: 1 },
            minScore: { type: "number", minimum: 0.05, maximum: 0.99 },
            // No default here: absent means "when the mesh was fetched" (below).
            landmarks: { type: "boolean" },
          },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const body = req.body ?? {};
      const model = body.model ?? "auto";
      const { version } = await imageVersion(ctx, tenantId, req.params.assetId, body.version);
      // Asked for: the mesh must be there (409 naming it). Not asked: used when it was fetched, so
      // callers that only fetched BlazeFace keep working.
      const landmarks = body.landmarks ?? (await meshFetched(ctx));
      await requireModels(ctx, model, landmarks);
      const payload: DetectPayload = {
        assetId: req.params.assetId,
        version,
        model,
        landmarks,
        ...(body.minScore === undefined ? {} : { minScore: body.minScore }),
      };
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
      const faces = scaleFaces(found.faces, w / found.width, h / found.height);
      const mask = await faceMask(faces, w, h, req.query.kind ?? "skin");
      const png = await sharp(mask, { raw: { width: w, height: h, channels: 1 } })
        .png()
        .toBuffer();
      return reply.type("image/png").send(png);
    },
  );

  ctx.http.post<{ Params: { assetId: string }; Body: RetouchBody & { version?: number } }>(
    "/assets/:assetId/retouch",
    {
      config: { permission: "face.retouch" },
      schema: {
        params,
        body: { type: "object", additionalProperties: false, properties: { ...RETOUCH_PROPERTIES, version: { type: "integer", minimum: 1 } } },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const payload = await retouchPayload(tenantId, req.params.assetId, req.body ?? {});
      const job = await ctx.jobs.enqueue("face.retouch", payload, { tenantId, userId, assetId: req.params.assetId });
      return reply.status(202).send({ jobId: job.id, version: payload.version });
    },
  );

  /** Many photos with the same sliders: one parent job (`kernel.batch`) with a retouch child per photo. */
  ctx.http.post<{ Body: RetouchBody & { assetIds: string[] } }>(
    "/batch/retouch",
    {
      config: { permission: "face.retouch" },
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["assetIds"],
          properties: {
            ...RETOUCH_PROPERTIES,
            assetIds: assetIdsSchema,
          },
        },
      },
    },
    async (req, reply) => {
      const { tenantId, userId } = req.identity;
      const { assetIds, ...body } = req.body;
      // Every photo is checked before anything is queued: one bad id refuses the batch with its reason.
      const payloads: RetouchPayload[] = [];
      for (const id of assetIds) payloads.push(await retouchPayload(tenantId, id, body));
      const { parent, children } = await ctx.jobs.enqueueBatch("face.retouch", payloads, { tenantId, userId });
      return reply.status(202).send({ jobId: parent.id, children: children.map((c) => c.id) });
    },
  );

  /** Checks one photo for a retouch and gives the job payload; throws the 4xx/409 a caller should see. */
  async function retouchPayload(tenantId: string, assetId: string, body: RetouchBody & { version?: number }): Promise<RetouchPayload> {
    const model = body.model ?? "auto";
    const { version } = await imageVersion(ctx, tenantId, assetId, body.version);
    // The warps move landmarks: they need the mesh, whether faces were detected already or not.
    const warps = (body.eyeEnlarge ?? 0) > 0 || (body.faceSlim ?? 0) > 0;
    const stored = await store.find(tenantId, assetId, version);
    if (!stored || (warps && !stored.faces.every((f) => f.landmarks))) await requireModels(ctx, model, warps);
    return {
      assetId,
      version,
      model,
      smoothing: body.smoothing ?? 0.5,
      eyes: body.eyes ?? 0.3,
      teeth: body.teeth ?? 0.3,
      eyeEnlarge: body.eyeEnlarge ?? 0,
      faceSlim: body.faceSlim ?? 0,
      // Off unless asked for: callers from before it existed get the same result.
      blemishes: body.blemishes ?? 0,
    };
  }
}
