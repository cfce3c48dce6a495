import fastifyMultipart from "@fastify/multipart";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AssetService } from "../assets/asset-service.js";
import type { Asset } from "../assets/asset-types.js";
import type { DirectUploads } from "../assets/direct-uploads.js";
import { sanitizeFileName } from "../assets/file-name.js";
import { type ReceivedFile, receiveToTempFile } from "../assets/upload-receiver.js";
import { kernelError } from "../errors.js";
import { contentDisposition } from "../storage/blob-checks.js";
import type { AssetJson } from "./api-types.js";

const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", format: "uuid" } } } as const;

/** Adds file URLs so clients never build storage paths themselves. */
function present(asset: Asset): AssetJson {
  const v = asset.version;
  const file = (name: string) => `/api/assets/${asset.id}/files/${name}${v ? `?version=${v.version}` : ""}`;
  return {
    ...asset,
    urls: {
      original: file("original"),
      files: Object.fromEntries(Object.keys(v?.derivatives ?? {}).map((name) => [name, file(name)])),
    },
  };
}

/** Reads a multipart upload: text fields and exactly one file, streamed to a temp file. */
async function readUpload(req: FastifyRequest, assets: AssetService): Promise<{ file: ReceivedFile; filename: string; fields: Record<string, string> }> {
  if (!req.isMultipart()) throw kernelError("KERNEL_VALIDATION", 'send the file as multipart/form-data with a field named "file"');
  const fields: Record<string, string> = {};
  let received: { file: ReceivedFile; filename: string } | null = null;
  try {
    for await (const part of req.parts({ limits: { fileSize: assets.limits.maxUploadBytes, files: 1, fields: 20 } })) {
      if (part.type === "file") {
        if (received) throw kernelError("KERNEL_VALIDATION", "send one file per request");
        if (/[\\/]|^\.\.?$/.test(part.filename ?? "")) {
          part.file.resume();
          throw kernelError("KERNEL_VALIDATION", 'the file name may not contain a path or "..": send the bare file name');
        }
        const file = await receiveToTempFile(part.file, {
          tmpDir: assets.tmpDir,
          maxBytes: assets.limits.maxUploadBytes,
          truncated: () => part.file.truncated,
        });
        received = { file, filename: part.filename };
      } else fields[part.fieldname] = String(part.value);
    }
  } catch (err) {
    await received?.file.remove();
    if ((err as { code?: string }).code === "FST_FILES_LIMIT") throw kernelError("KERNEL_VALIDATION", "send one file per request");
    throw err;
  }
  if (!received) throw kernelError("KERNEL_VALIDATION", 'the form has no file: send it in a field named "file"');
  return { ...received, fields };
}

export async function registerAssetRoutes(app: FastifyInstance, assets: AssetService, uploads: DirectUploads) {
  registerDirectUploadRoutes(app, assets, uploads);

  await app.register(async (scope) => {
    // preservePath: see the name as sent, so a name with a path is refused rather than silently trimmed.
    await scope.register(fastifyMultipart, { preservePath: true, limits: { fileSize: assets.limits.maxUploadBytes } });

    scope.post(
      "/api/assets",
      { schema: { tags: ["assets"], summary: 'Upload a photo, video or audio file (multipart field "file"; optional fields name, tags, projectId)' } },
      async (req, reply) => {
        const { file, filename, fields } = await readUpload(req, assets);
        try {
          const { asset, job } = await assets.create(req.identity.tenantId, req.identity.userId, file, {
            name: sanitizeFileName(fields.name || filename),
            tags: fields.tags ? fields.tags.split(",") : [],
            projectId: fields.projectId || undefined,
          });
          return reply.status(201).send({ asset: present(asset), jobId: job.id });
        } finally {
          await file.remove();
        }
      },
    );

    scope.post<{ Params: { id: string } }>(
      "/api/assets/:id/versions",
      { schema: { tags: ["assets"], summary: "Upload a new version of an asset (earlier versions are kept)", params: idParams } },
      async (req, reply) => {
        await assets.get(req.identity.tenantId, req.params.id);
        const { file } = await readUpload(req, assets);
        try {
          const { version, job } = await assets.addVersion(req.identity.tenantId, req.identity.userId, req.params.id, file, "upload");
          return reply.status(201).send({ version, jobId: job.id });
        } finally {
          await file.remove();
        }
      },
    );
  });

  app.get<{
    Querystring: {
      cursor?: string;
      limit?: number;
      kind?: "image" | "video" | "audio";
      tag?: string;
      projectId?: string;
      from?: string;
      to?: string;
      q?: string;
      deleted?: boolean;
    };
  }>(
    "/api/assets",
    {
      schema: {
        tags: ["assets"],
        summary: "List assets, newest first, with cursor pagination and filters",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            cursor: { type: "string", maxLength: 200 },
            limit: { type: "integer", minimum: 1, maximum: 200 },
            kind: { type: "string", enum: ["image", "video", "audio"] },
            tag: { type: "string", maxLength: 64 },
            projectId: { type: "string", format: "uuid" },
            from: { type: "string", format: "date-time" },
            to: { type: "string", format: "date-time" },
            q: { type: "string", maxLength: 200 },
            deleted: { type: "boolean" },
          },
        },
      },
    },
    async (req) => {
      const page = await assets.list(req.identity.tenantId, req.query);
      return { assets: page.assets.map(present), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: { id: string } }>("/api/assets/:id", { schema: { tags: ["assets"], params: idParams } }, async (req) =>
    present(await assets.get(req.identity.tenantId, req.params.id)),
  );

  app.get<{ Params: { id: string } }>("/api/assets/:id/versions", { schema: { tags: ["assets"], params: idParams } }, async (req) => {
    await assets.get(req.identity.tenantId, req.params.id);
    return { versions: await assets.store.versions(req.identity.tenantId, req.params.id) };
  });

  app.get<{ Params: { id: string; name: string }; Querystring: { version?: number; download?: boolean } }>(
    "/api/assets/:id/files/:name",
    {
      schema: {
        tags: ["assets"],
        summary: "The original or a derivative (thumb-256.webp, proxy.mp4, poster.jpg, …) of an asset version",
        params: {
          type: "object",
          required: ["id", "name"],
          properties: { id: { type: "string", format: "uuid" }, name: { type: "string", pattern: "^[a-z0-9][a-z0-9.-]{0,63}$" } },
        },
        querystring: { type: "object", properties: { version: { type: "integer", minimum: 1 }, download: { type: "boolean" } } },
      },
    },
    async (req, reply) => {
      const file = await assets.openFile(req.identity.tenantId, req.params.id, req.params.name, req.query.version);
      reply.header("content-type", file.mime).header("content-length", String(file.size));
      // Versions are immutable, so a versioned URL can be cached for good.
      reply.header("cache-control", req.query.version ? "private, max-age=31536000, immutable" : "private, no-cache");
      if (req.query.download) reply.header("content-disposition", contentDisposition(file.downloadName));
      return reply.send(file.stream);
    },
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; tags?: string[] } }>(
    "/api/assets/:id",
    {
      schema: {
        tags: ["assets"],
        params: idParams,
        body: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            tags: { type: "array", maxItems: 50, items: { type: "string", minLength: 1, maxLength: 64 } },
          },
        },
      },
    },
    async (req) =>
      present(await assets.update(req.identity.tenantId, req.params.id, { ...req.body, name: req.body.name ? sanitizeFileName(req.body.name) : undefined })),
  );

  app.delete<{ Params: { id: string }; Querystring: { purge?: boolean } }>(
    "/api/assets/:id",
    {
      schema: {
        tags: ["assets"],
        summary: "Move to trash (restorable), or purge for good with ?purge=true",
        params: idParams,
        querystring: { type: "object", properties: { purge: { type: "boolean" } } },
      },
    },
    async (req, reply) => {
      if (req.query.purge) await assets.purge(req.identity.tenantId, req.params.id);
      else await assets.trash(req.identity.tenantId, req.params.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { id: string } }>("/api/assets/:id/restore", { schema: { tags: ["assets"], params: idParams } }, async (req) =>
    present(await assets.restore(req.identity.tenantId, req.params.id)),
  );

  app.post<{ Body: { name: string; kind?: "album" | "project" } }>(
    "/api/projects",
    {
      schema: {
        tags: ["assets"],
        summary: "Create a project or album",
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: { name: { type: "string", minLength: 1, maxLength: 200 }, kind: { type: "string", enum: ["album", "project"] } },
        },
      },
    },
    async (req, reply) => reply.status(201).send(await assets.store.createProject(req.identity.tenantId, req.body.kind ?? "project", req.body.name)),
  );

  app.get("/api/projects", { schema: { tags: ["assets"] } }, async (req) => ({ projects: await assets.store.listProjects(req.identity.tenantId) }));

  const membership = {
    tags: ["assets"],
    params: idParams,
    body: {
      type: "object",
      required: ["assetIds"],
      additionalProperties: false,
      properties: { assetIds: { type: "array", minItems: 1, maxItems: 1000, items: { type: "string", format: "uuid" } } },
    },
  };
  app.post<{ Params: { id: string }; Body: { assetIds: string[] } }>("/api/projects/:id/assets", { schema: membership }, async (req) => {
    if (!(await assets.store.projectExists(req.identity.tenantId, req.params.id))) throw kernelError("KERNEL_NOT_FOUND", "no such project in this tenant");
    return { added: await assets.store.addToProject(req.identity.tenantId, req.params.id, req.body.assetIds) };
  });
  app.delete<{ Params: { id: string }; Body: { assetIds: string[] } }>("/api/projects/:id/assets", { schema: membership }, async (req, reply) => {
    if (!(await assets.store.projectExists(req.identity.tenantId, req.params.id))) throw kernelError("KERNEL_NOT_FOUND", "no such project in this tenant");
    await assets.store.removeFromProject(req.identity.tenantId, req.params.id, req.body.assetIds);
    return reply.status(204).send();
  });
}

/** Uploads straight to the blob store: presigned PUT for small files, resumable parts for big ones. */
function registerDirectUploadRoutes(app: FastifyInstance, assets: AssetService, uploads: DirectUploads) {
  const uploadParams = idParams;
  app.get(
    "/api/assets/upload-limits",
    { schema: { tags: ["assets"], summary: "Largest upload, and the size above which clients upload in resumable parts" } },
    async () => ({ maxUploadBytes: assets.limits.maxUploadBytes, resumableAbove: uploads.resumableAbove, partSize: uploads.partBytes }),
  );
  app.post<{ Body: { name: string; size: number; contentType: string; tags?: string[]; projectId?: string } }>(
    "/api/assets/uploads",
    {
      schema: {
        tags: ["assets"],
        summary: "Start an upload that goes straight to storage (presigned PUT, or resumable parts above 64 MiB)",
        body: {
          type: "object",
          required: ["name", "size", "contentType"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 255 },
            size: { type: "integer", minimum: 1 },
            contentType: { type: "string", minLength: 3, maxLength: 127 },
            tags: { type: "array", maxItems: 50, items: { type: "string", minLength: 1, maxLength: 64 } },
            projectId: { type: "string", format: "uuid" },
          },
        },
      },
    },
    async (req, reply) => {
      if (/[\\/]|^\.\.?$/.test(req.body.name)) throw kernelError("KERNEL_VALIDATION", 'the file name may not contain a path or "..": send the bare file name');
      if (req.body.projectId && !(await assets.store.projectExists(req.identity.tenantId, req.body.projectId))) {
        throw kernelError("KERNEL_VALIDATION", "projectId does not name a project of this tenant");
      }
      const session = await uploads.start(req.identity.tenantId, req.identity.userId, { ...req.body, name: sanitizeFileName(req.body.name) });
      return reply.status(201).send(session);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/assets/uploads/:id",
    { schema: { tags: ["assets"], summary: "An upload's state; for a resumable one, the parts already received", params: uploadParams } },
    async (req) => uploads.describe(req.identity.tenantId, req.params.id),
  );

  app.post<{ Params: { id: string }; Body: { partNumbers: number[] } }>(
    "/api/assets/uploads/:id/parts",
    {
      schema: {
        tags: ["assets"],
        summary: "Presigned PUT requests for parts of a resumable upload",
        params: uploadParams,
        body: {
          type: "object",
          required: ["partNumbers"],
          additionalProperties: false,
          properties: { partNumbers: { type: "array", minItems: 1, maxItems: 100, items: { type: "integer", minimum: 1 } } },
        },
      },
    },
    async (req) => ({ parts: await uploads.partUrls(req.identity.tenantId, req.params.id, req.body.partNumbers) }),
  );

  app.post<{ Params: { id: string } }>(
    "/api/assets/uploads/:id/complete",
    { schema: { tags: ["assets"], summary: "Check the uploaded bytes and create the asset", params: uploadParams } },
    async (req, reply) => {
      const { asset, job } = await uploads.complete(req.identity.tenantId, req.params.id);
      return reply.status(201).send({ asset: present(asset), jobId: job.id });
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/api/assets/uploads/:id",
    { schema: { tags: ["assets"], summary: "Abandon an upload; its bytes are removed", params: uploadParams } },
    async (req, reply) => {
      await uploads.abort(req.identity.tenantId, req.params.id);
      return reply.status(204).send();
    },
  );
}
