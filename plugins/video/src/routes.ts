import os from "node:os";
import path from "node:path";
import type { ExtensionPointHandle, PluginContext } from "@crealia/kernel/sdk";
import { waveformOf } from "./audio/waveform.js";
import { RENDER_FORMATS, RENDER_QUALITIES, type RenderFormat, type RenderQuality } from "./compiler/presets.js";
import { effectsFor, type VideoEffectContribution } from "./effects.js";
import { videoError } from "./errors.js";
import { COMMAND_TYPES, type Command, FONTS } from "./model/commands.js";
import { ASPECTS, TEXT_ANIMATIONS, TRANSITIONS } from "./model/types.js";
import type { ProjectService } from "./projects.js";
import { buildPlan, type RenderPayload } from "./render/render-job.js";
import type { TemplateService } from "./templates.js";

const id = { type: "string", minLength: 1, maxLength: 64 } as const;
const idParams = { type: "object", required: ["id"], properties: { id } } as const;
const command = { type: "object", required: ["type"], properties: { type: { type: "string", enum: [...COMMAND_TYPES] } }, additionalProperties: true } as const;
const renderOptions = {
  format: { type: "string", enum: [...RENDER_FORMATS], default: "mp4" },
  quality: { type: "string", enum: [...RENDER_QUALITIES], default: "standard" },
  preview: { type: "boolean", default: false },
  revision: { type: "integer", minimum: 0 },
} as const;

interface RenderQuery {
  format: RenderFormat;
  quality: RenderQuality;
  preview: boolean;
  revision?: number;
}

export function registerRoutes(
  ctx: PluginContext,
  projects: ProjectService,
  templates: TemplateService,
  effects: ExtensionPointHandle<VideoEffectContribution>,
) {
  const edit = { permission: "video.edit" };
  const render = { permission: "video.render" };

  ctx.http.get("/capabilities", async (req) => ({
    aspects: Object.keys(ASPECTS),
    transitions: TRANSITIONS,
    commands: COMMAND_TYPES,
    formats: RENDER_FORMATS,
    qualities: RENDER_QUALITIES,
    fonts: Object.keys(FONTS),
    textAnimations: TEXT_ANIMATIONS,
    effects: await effectsFor(effects, req.identity.tenantId),
  }));

  ctx.http.post<{ Body: Record<string, unknown> }>(
    "/projects",
    {
      config: edit,
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            aspect: { type: "string", enum: Object.keys(ASPECTS) },
            fps: { type: "number", minimum: 1, maximum: 120 },
            shortSide: { type: "integer", minimum: 16, maximum: 2160 },
            background: { type: "string", maxLength: 20 },
          },
        },
      },
    },
    async (req, reply) => reply.status(201).send(await projects.create(req.identity.tenantId, req.body ?? {})),
  );

  ctx.http.get("/projects", async (req) => ({ projects: await projects.list(req.identity.tenantId) }));

  ctx.http.get<{ Params: { id: string } }>("/projects/:id", { schema: { params: idParams } }, async (req) =>
    projects.get(req.identity.tenantId, req.params.id),
  );

  ctx.http.delete<{ Params: { id: string } }>("/projects/:id", { config: edit, schema: { params: idParams } }, async (req, reply) => {
    await projects.delete(req.identity.tenantId, req.params.id);
    return reply.status(204).send();
  });

  ctx.http.post<{ Params: { id: string }; Body: { command?: Command; commands?: Command[]; expectedRevision?: number } }>(
    "/projects/:id/commands",
    {
      config: edit,
      schema: {
        params: idParams,
        body: {
          type: "object",
          additionalProperties: false,
          properties: { command, commands: { type: "array", minItems: 1, maxItems: 100, items: command }, expectedRevision: { type: "integer", minimum: 0 } },
        },
      },
    },
    async (req) => {
      const list = req.body.commands ?? (req.body.command ? [req.body.command] : []);
      if (list.length === 0) throw videoError("VIDEO_INVALID_COMMAND", "send a command or commands");
      return projects.execute(req.identity.tenantId, req.params.id, list, req.body.expectedRevision);
    },
  );

  ctx.http.post<{ Params: { id: string } }>("/projects/:id/undo", { config: edit, schema: { params: idParams } }, async (req) =>
    projects.step(req.identity.tenantId, req.params.id, "undo"),
  );
  ctx.http.post<{ Params: { id: string } }>("/projects/:id/redo", { config: edit, schema: { params: idParams } }, async (req) =>
    projects.step(req.identity.tenantId, req.params.id, "redo"),
  );

  ctx.http.get<{ Params: { id: string }; Querystring: Partial<RenderQuery> }>(
    "/projects/:id/render-plan",
    { schema: { params: idParams, querystring: { type: "object", additionalProperties: false, properties: renderOptions } } },
    async (req) => {
      const { doc, revision } = await projects.docAt(req.identity.tenantId, req.params.id, req.query.revision);
      // The job runs the same command in a work folder of its own; here it is shown in a stand-in folder.
      const workDir = path.join(os.tmpdir(), `crealia-video-plan-${req.params.id}`);
      const q = req.query;
      const opts = { format: q.format ?? "mp4", quality: q.quality ?? "standard", preview: q.preview ?? false, workDir, write: false };
      const { plan } = await buildPlan(ctx, effects, req.identity.tenantId, doc, opts);
      return { revision, workDir, ...plan };
    },
  );

  ctx.http.post<{ Params: { id: string }; Body: Partial<RenderQuery> | undefined }>(
    "/projects/:id/render",
    { config: render, schema: { params: idParams, body: { type: "object", additionalProperties: false, properties: renderOptions } } },
    async (req, reply) => {
      const tenantId = req.identity.tenantId;
      const b: Partial<RenderQuery> = req.body ?? {};
      const body: RenderQuery = { format: b.format ?? "mp4", quality: b.quality ?? "standard", preview: b.preview ?? false, revision: b.revision };
      const { doc, revision } = await projects.docAt(tenantId, req.params.id, body.revision);
      // Refuse what would only fail in the job: missing assets, an empty timeline, unavailable effects.
      await buildPlan(ctx, effects, tenantId, doc, { ...body, workDir: os.tmpdir(), write: false });
      const payload: RenderPayload = { projectId: req.params.id, revision, format: body.format, quality: body.quality, preview: body.preview };
      const job = await ctx.jobs.enqueue("video.render", payload, {
        tenantId,
        userId: req.identity.userId,
        idempotencyKey: `${req.params.id}:${revision}:${body.format}:${body.quality}:${body.preview ? "preview" : "full"}:${Date.now()}`,
      });
      return reply.status(202).send({ jobId: job.id, revision });
    },
  );

  ctx.http.post<{ Body: { assetId: string } }>(
    "/beats",
    { config: render, schema: { body: { type: "object", required: ["assetId"], additionalProperties: false, properties: { assetId: id } } } },
    async (req, reply) => {
      const a = /^[0-9a-f-]{36}$/i.test(req.body.assetId) ? await ctx.assets.get(req.identity.tenantId, req.body.assetId) : null;
      if (!a) throw videoError("VIDEO_ASSET_NOT_FOUND", `no asset ${req.body.assetId}`);
      if (a.kind === "image") throw videoError("VIDEO_ASSET_KIND", "beat detection needs an audio or video asset");
      if (a.kind === "video" && !(a.metadata as { audio?: unknown }).audio) throw videoError("VIDEO_NO_AUDIO", "this video has no sound");
      const job = await ctx.jobs.enqueue("video.beats", { assetId: a.id }, { tenantId: req.identity.tenantId, userId: req.identity.userId, assetId: a.id });
      return reply.status(202).send({ jobId: job.id });
    },
  );

  ctx.http.get<{ Params: { id: string } }>("/assets/:id/waveform", { schema: { params: idParams } }, async (req, reply) => {
    const wave = await waveformOf(ctx, req.identity.tenantId, req.params.id);
    // Keyed by version: a new version of the asset is a new response.
    reply.header("cache-control", "private, max-age=60");
    return wave;
  });

  const slot = {
    type: "object",
    required: ["id", "kind", "clipId"],
    additionalProperties: false,
    properties: {
      id: { type: "string", pattern: "^[A-Za-z0-9_-]{1,40}$" },
      kind: { type: "string", enum: ["media", "text"] },
      clipId: id,
      label: { type: "string", maxLength: 100 },
    },
  } as const;
  ctx.http.post<{ Body: { projectId: string; name: string; slots: { id: string; kind: "media" | "text"; clipId: string; label?: string }[] } }>(
    "/templates",
    {
      config: edit,
      schema: {
        body: {
          type: "object",
          required: ["projectId", "name", "slots"],
          additionalProperties: false,
          properties: { projectId: id, name: { type: "string", minLength: 1, maxLength: 200 }, slots: { type: "array", maxItems: 50, items: slot } },
        },
      },
    },
    async (req, reply) => reply.status(201).send(await templates.save(req.identity.tenantId, req.body.projectId, req.body)),
  );
  ctx.http.get("/templates", async (req) => ({ templates: await templates.list(req.identity.tenantId) }));
  ctx.http.get<{ Params: { id: string } }>("/templates/:id", { schema: { params: idParams } }, async (req) =>
    templates.get(req.identity.tenantId, req.params.id),
  );
  ctx.http.post<{ Params: { id: string }; Body: { name?: string; values: Record<string, string> } }>(
    "/templates/:id/instantiate",
    {
      config: edit,
      schema: {
        params: idParams,
        body: {
          type: "object",
          required: ["values"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            values: { type: "object", additionalProperties: { type: "string", maxLength: 500 } },
          },
        },
      },
    },
    async (req, reply) => reply.status(201).send(await templates.instantiate(req.identity.tenantId, req.params.id, req.body)),
  );
}
