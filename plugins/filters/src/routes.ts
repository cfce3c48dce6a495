/**
 * HTTP routes under /api/p/filters/v1/. Bodies are checked by Fastify's JSON Schemas for shape
 * and by the recipe validator for content (FILTERS_INVALID_RECIPE lists every problem by path).
 */
import type { FastifyReply, FastifyRequest, PluginContext } from "@crealia/kernel/sdk";
import { PLATFORMS } from "./export/options.js";
import { BUILTIN_PRESETS } from "./presets/builtin.js";
import { paramTable, RECIPE_SCHEMA, RECIPE_VERSION, recipeJsonSchema } from "./recipe/schema.js";
import { FORMATS } from "./render/encode.js";
import type { FiltersService } from "./service.js";

const EDIT = { permission: "filters.edit" };
const EXPORT = { permission: "filters.export" };
const PRESETS = { permission: "filters.presets" };

const assetParams = { type: "object", required: ["assetId"], properties: { assetId: { type: "string", format: "uuid" } } } as const;
const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", minLength: 1, maxLength: 100 } } } as const;
const anyObject = { type: "object", additionalProperties: true } as const;

type Req<P = Record<string, never>, B = unknown, Q = Record<string, never>> = FastifyRequest<{ Params: P; Body: B; Querystring: Q }>;
type AssetReq<B = unknown, Q = Record<string, never>> = Req<{ assetId: string }, B, Q>;

const wantsJson = (req: FastifyRequest) => /application\/json/.test(String(req.headers.accept ?? ""));

export function registerRoutes(ctx: PluginContext, service: FiltersService) {
  const http = ctx.http;

  // ---- the recipe document ----
  http.get("/recipe-schema", async () => ({ schema: RECIPE_SCHEMA, version: RECIPE_VERSION, jsonSchema: recipeJsonSchema(), params: paramTable() }));

  http.post("/recipes/validate", { config: EDIT, schema: { body: anyObject } }, async (req: Req<Record<string, never>, unknown>) => ({
    valid: true,
    recipe: await service.checkRecipe(req.identity.tenantId, req.body),
  }));

  http.get("/assets/:assetId/recipe", { config: EDIT, schema: { params: assetParams } }, async (req: AssetReq) =>
    service.getRecipe(req.identity.tenantId, req.params.assetId),
  );

  http.put(
    "/assets/:assetId/recipe",
    {
      config: EDIT,
      schema: {
        params: assetParams,
        body: {
          type: "object",
          required: ["recipe"],
          additionalProperties: false,
          properties: {
            recipe: anyObject,
            label: { type: "string", minLength: 1, maxLength: 200 },
            baseRevision: { type: "integer", minimum: 0 },
            sourceVersion: { type: "integer", minimum: 1 },
          },
        },
      },
    },
    async (req: AssetReq<{ recipe: unknown; label?: string; baseRevision?: number; sourceVersion?: number }>) =>
      service.saveRecipe(req.identity.tenantId, req.params.assetId, req.body.recipe, {
        label: req.body.label,
        baseRevision: req.body.baseRevision,
        sourceVersion: req.body.sourceVersion,
        userId: req.identity.userId,
      }),
  );

  http.delete("/assets/:assetId/recipe", { config: EDIT, schema: { params: assetParams } }, async (req: AssetReq) =>
    service.saveRecipe(req.identity.tenantId, req.params.assetId, {}, { label: "Reset", userId: req.identity.userId }),
  );

  http.post("/assets/:assetId/recipe/undo", { config: EDIT, schema: { params: assetParams } }, async (req: AssetReq) =>
    service.step(req.identity.tenantId, req.params.assetId, -1),
  );
  http.post("/assets/:assetId/recipe/redo", { config: EDIT, schema: { params: assetParams } }, async (req: AssetReq) =>
    service.step(req.identity.tenantId, req.params.assetId, 1),
  );
  http.get("/assets/:assetId/history", { config: EDIT, schema: { params: assetParams } }, async (req: AssetReq) => ({
    history: await service.history(req.identity.tenantId, req.params.assetId),
  }));

  http.post(
    "/assets/:assetId/recipe/preset",
    {
      config: EDIT,
      schema: {
        params: assetParams,
        body: { type: "object", required: ["presetId"], additionalProperties: false, properties: { presetId: { type: "string" } } },
      },
    },
    async (req: AssetReq<{ presetId: string }>) => service.applyPreset(req.identity.tenantId, req.params.assetId, req.body.presetId, req.identity.userId),
  );

  http.post(
    "/assets/:assetId/auto",
    { config: EDIT, schema: { params: assetParams, body: { type: "object", additionalProperties: false, properties: { apply: { type: "boolean" } } } } },
    async (req: AssetReq<{ apply?: boolean } | undefined>) => {
      const { patch, state } = await service.autoEnhance(req.identity.tenantId, req.params.assetId, req.body?.apply ?? false, req.identity.userId);
      return { patch, state };
    },
  );

  // ---- previews ----
  const previewQuery = {
    type: "object",
    additionalProperties: false,
    properties: {
      size: { type: "integer", minimum: 32, maximum: 4096, default: 1440 },
      format: { enum: ["jpeg", "webp", "png"] },
      quality: { type: "integer", minimum: 1, maximum: 100 },
      colorSpace: { enum: ["srgb", "p3"] },
    },
  } as const;
  type PreviewParams = { size: number; format?: "jpeg" | "webp" | "png"; quality?: number; colorSpace?: "srgb" | "p3" };

  const sendPreview = async (req: FastifyRequest, reply: FastifyReply, assetId: string, o: PreviewParams & { recipe?: unknown }) => {
    const started = performance.now();
    const result = await service.preview(req.identity.tenantId, assetId, o);
    const ms = Math.round(performance.now() - started);
    if (result.warnings.length) reply.header("x-filters-warnings", encodeURIComponent(result.warnings.join(" | ")));
    reply.header("x-filters-render-ms", String(ms));
    reply.header(
      "server-timing",
      Object.entries(result.timings)
        .map(([k, v]) => `${k};dur=${v}`)
        .join(", "),
    );
    if (wantsJson(req)) {
      return {
        image: `data:${result.encoded.mime};base64,${result.encoded.data.toString("base64")}`,
        width: result.encoded.width,
        height: result.encoded.height,
        format: result.encoded.format,
        bytes: result.encoded.data.length,
        histogram: result.histogram,
        warnings: result.warnings,
        timings: { ...result.timings, total: ms },
        revision: result.revision,
      };
    }
    reply.header("cache-control", "private, no-store");
    return reply.type(result.encoded.mime).send(result.encoded.data);
  };

  http.post(
    "/assets/:assetId/preview",
    {
      config: EDIT,
      schema: {
        params: assetParams,
        body: { type: "object", additionalProperties: false, properties: { recipe: anyObject, ...previewQuery.properties } },
      },
    },
    async (req: AssetReq<PreviewParams & { recipe?: unknown }>, reply) =>
      sendPreview(req, reply, req.params.assetId, { ...req.body, size: req.body.size ?? 1440 }),
  );

  http.get(
    "/assets/:assetId/preview",
    { config: EDIT, schema: { params: assetParams, querystring: previewQuery } },
    async (req: AssetReq<unknown, PreviewParams>, reply) => sendPreview(req, reply, req.params.assetId, req.query),
  );

  // ---- export, batch, sync ----
  http.post(
    "/assets/:assetId/export",
    {
      config: EXPORT,
      schema: { params: assetParams, body: { type: "object", additionalProperties: false, properties: { options: anyObject, recipe: anyObject } } },
    },
    async (req: AssetReq<{ options?: unknown; recipe?: unknown } | undefined>, reply) => {
      const job = await service.enqueueExport(req.identity.tenantId, req.params.assetId, req.body ?? {}, req.identity.userId);
      return reply.status(202).send({ jobId: job.id, job });
    },
  );

  http.post(
    "/batch",
    {
      config: EXPORT,
      schema: {
        body: {
          type: "object",
          required: ["assetIds"],
          additionalProperties: false,
          properties: {
            assetIds: { type: "array", minItems: 1, maxItems: 1000, items: { type: "string", format: "uuid" } },
            recipe: anyObject,
            presetId: { type: "string" },
            mode: { enum: ["merge", "replace"] },
            groups: { type: "array", items: { type: "string" } },
            export: anyObject,
            label: { type: "string", minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (
      req: Req<
        Record<string, never>,
        { assetIds: string[]; recipe?: unknown; presetId?: string; mode?: "merge" | "replace"; groups?: string[]; export?: unknown; label?: string }
      >,
      reply,
    ) => {
      const { parent, children } = await service.enqueueBatch(req.identity.tenantId, req.body, req.identity.userId);
      return reply
        .status(202)
        .send({ jobId: parent.id, job: parent, children: children.map((c) => ({ jobId: c.id, assetId: (c.payload as { assetId: string }).assetId })) });
    },
  );

  http.post(
    "/assets/:assetId/sync",
    {
      config: EDIT,
      schema: {
        params: assetParams,
        body: {
          type: "object",
          required: ["targets"],
          additionalProperties: false,
          properties: {
            targets: { type: "array", minItems: 1, maxItems: 1000, items: { type: "string", format: "uuid" } },
            groups: { type: "array", items: { type: "string" } },
          },
        },
      },
    },
    async (req: AssetReq<{ targets: string[]; groups?: string[] }>, reply) => {
      const { parent, children } = await service.sync(req.identity.tenantId, req.params.assetId, req.body.targets, req.body.groups, req.identity.userId);
      return reply
        .status(202)
        .send({ jobId: parent.id, job: parent, children: children.map((c) => ({ jobId: c.id, assetId: (c.payload as { assetId: string }).assetId })) });
    },
  );

  http.get("/platforms", async () => ({ platforms: PLATFORMS, formats: FORMATS }));
  http.get("/masks", async () => ({ providers: service.maskProviders() }));

  // ---- presets ----
  const presetBody = {
    type: "object",
    additionalProperties: false,
    properties: { name: { type: "string" }, description: { type: ["string", "null"] }, group: { type: ["string", "null"] }, recipe: anyObject },
  } as const;
  type PresetBody = { name?: string; description?: string | null; group?: string | null; recipe?: unknown };

  http.get("/presets", async (req: Req) => ({ presets: await service.presets.list(req.identity.tenantId), builtIn: BUILTIN_PRESETS.length }));
  http.get("/presets/:id", { schema: { params: idParams } }, async (req: Req<{ id: string }>) => service.presets.get(req.identity.tenantId, req.params.id));
  http.post(
    "/presets",
    { config: PRESETS, schema: { body: { ...presetBody, required: ["name", "recipe"] } } },
    async (req: Req<Record<string, never>, PresetBody>, reply) =>
      reply.status(201).send(await service.createPreset(req.identity.tenantId, req.body, req.identity.userId)),
  );
  http.patch("/presets/:id", { config: PRESETS, schema: { params: idParams, body: presetBody } }, async (req: Req<{ id: string }, PresetBody>) =>
    service.updatePreset(req.identity.tenantId, req.params.id, req.body),
  );
  http.delete("/presets/:id", { config: PRESETS, schema: { params: idParams } }, async (req: Req<{ id: string }>, reply) => {
    await service.presets.delete(req.identity.tenantId, req.params.id);
    return reply.status(204).send();
  });
  http.get("/presets/:id/export", { schema: { params: idParams } }, async (req: Req<{ id: string }>, reply) => {
    const doc = await service.exportPreset(req.identity.tenantId, req.params.id);
    const file = `${doc.name.replace(/[^\w .-]+/g, "_")}.filters-preset.json`;
    reply.header("content-disposition", `attachment; filename="${file}"`);
    return doc;
  });
  http.post(
    "/presets/import",
    { config: PRESETS, bodyLimit: 32 * 1024 * 1024, schema: { querystring: { type: "object", properties: { rename: { type: "boolean" } } }, body: anyObject } },
    async (req: Req<Record<string, never>, unknown, { rename?: boolean }>, reply) =>
      reply.status(201).send(await service.importPreset(req.identity.tenantId, req.body, { rename: req.query.rename }, req.identity.userId)),
  );

  // ---- LUTs ----
  http.get("/luts", async (req: Req) => ({ luts: await service.luts.list(req.identity.tenantId) }));
  http.post(
    "/luts",
    {
      config: PRESETS,
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        body: {
          type: "object",
          required: ["cube"],
          additionalProperties: false,
          properties: { name: { type: "string", minLength: 1, maxLength: 200 }, cube: { type: "string", minLength: 1 } },
        },
      },
    },
    async (req: Req<Record<string, never>, { name?: string; cube: string }>, reply) => {
      const lut = await service.importLut(req.identity.tenantId, req.body.name ?? "Imported LUT", req.body.cube);
      return reply.status(lut.created ? 201 : 200).send(lut);
    },
  );
  http.delete("/luts/:id", { config: PRESETS, schema: { params: idParams } }, async (req: Req<{ id: string }>, reply) => {
    await service.luts.delete(req.identity.tenantId, req.params.id);
    return reply.status(204).send();
  });
}
