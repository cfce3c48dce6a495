import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Knex } from "knex";
import { kernelError } from "../errors.js";
import type { JobRecord } from "../sdk/context.js";
import { type BlobStore, MULTIPART, type PresignedRequest } from "../storage/blob-store.js";
import { withTenant } from "../tenancy/tenant-db.js";
import type { AssetService } from "./asset-service.js";
import type { Asset } from "./asset-types.js";

/** Bodies up to this size get one presigned PUT; bigger ones a resumable multipart upload. */
export const SINGLE_PUT_LIMIT = 64 * 1024 * 1024;
const PART_SIZE = 16 * 1024 * 1024;
const URL_SECONDS = 3600;
const UPLOAD_HOURS = 24;

export interface UploadSession {
  id: string;
  name: string;
  size: number;
  contentType: string;
  status: "open" | "completed" | "aborted";
  expiresAt: string;
  /** Single PUT: the request to make. */
  put?: PresignedRequest;
  /** Multipart: part size and count; part URLs come from `partUrls`. */
  multipart?: { partSize: number; partCount: number; uploadedParts: number[] };
  assetId: string | null;
}

interface UploadRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  name: string;
  size: string | number;
  content_type: string;
  blob_key: string;
  multipart_id: string | null;
  part_size: number | null;
  tags: string | null;
  project_id: string | null;
  status: UploadSession["status"];
  asset_id: string | null;
  expires_at: Date | string;
}

/**
 * Uploads that go from the client straight to the blob store: the kernel hands out presigned
 * URLs for a staging key, then "complete" checks the bytes like any upload and makes the asset.
 * Big files go in parts that a client can resume after a cut (it asks which parts arrived).
 * Until complete succeeds there is no asset; abort or a failed check removes the staged bytes.
 */
export class DirectUploads {
  private readonly singlePutLimit: number;
  private readonly partSize: number;

  constructor(
    private readonly db: Knex,
    private readonly blobs: BlobStore,
    private readonly assets: AssetService,
    options: { singlePutLimit?: number; partSize?: number } = {},
  ) {
    this.singlePutLimit = options.singlePutLimit ?? SINGLE_PUT_LIMIT;
    this.partSize = Math.max(options.partSize ?? PART_SIZE, MULTIPART.minPartSize);
  }

  /** Uploads larger than this are multipart (resumable). */
  get resumableAbove(): number {
    return this.singlePutLimit;
  }

  get partBytes(): number {
    return this.partSize;
  }

  async start(
    tenantId: string,
    userId: string | null,
    input: { name: string; size: number; contentType: string; tags?: string[]; projectId?: string },
  ): Promise<UploadSession> {
    if (input.size > this.assets.limits.maxUploadBytes) {
      throw kernelError("KERNEL_UPLOAD_TOO_LARGE", `the upload is larger than the limit of ${this.assets.limits.maxUploadBytes} bytes`);
    }
    const id = randomUUID();
    const key = `tenants/${tenantId}/uploads/${id}/data`;
    const multipart = input.size > this.singlePutLimit;
    const partSize = Math.max(this.partSize, Math.ceil(input.size / MULTIPART.maxParts));
    const multipartId = multipart ? await this.blobs.createMultipart(key, { contentType: input.contentType }) : null;
    const expiresAt = new Date(Date.now() + UPLOAD_HOURS * 3600_000);
    await withTenant(this.db, tenantId, (trx) =>
      trx("kernel.asset_uploads").insert({
        id,
        tenant_id: tenantId,
        user_id: userId,
        name: input.name,
        size: input.size,
        content_type: input.contentType,
        blob_key: key,
        multipart_id: multipartId,
        part_size: multipart ? partSize : null,
        tags: input.tags?.join(",") ?? null,
        project_id: input.projectId ?? null,
        status: "open",
        expires_at: expiresAt,
      }),
    );
    return this.describe(tenantId, id);
  }

  private async row(tenantId: string, id: string): Promise<UploadRow> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await withTenant(this.db, tenantId, (trx) => trx("kernel.asset_uploads").where({ id }).first()) : null;
    if (!row) throw kernelError("KERNEL_NOT_FOUND", `no upload ${id} in this tenant`);
    return row as UploadRow;
  }

  private open(row: UploadRow): void {
    if (row.status !== "open") throw kernelError("KERNEL_VALIDATION", `upload ${row.id} is ${row.status}`);
    if (new Date(row.expires_at).getTime() < Date.now()) throw kernelError("KERNEL_VALIDATION", `upload ${row.id} expired; start a new one`);
  }

  /** The session as a client resumes it: for multipart, which parts the store already has. */
  async describe(tenantId: string, id: string): Promise<UploadSession> {
    const row = await this.row(tenantId, id);
    const size = Number(row.size);
    const session: UploadSession = {
      id: row.id,
      name: row.name,
      size,
      contentType: row.content_type,
      status: row.status,
      expiresAt: new Date(row.expires_at).toISOString(),
      assetId: row.asset_id,
    };
    if (row.status !== "open") return session;
    if (row.multipart_id && row.part_size) {
      const parts = await this.blobs.listParts(row.blob_key, row.multipart_id);
      session.multipart = { partSize: row.part_size, partCount: Math.ceil(size / row.part_size), uploadedParts: parts.map((p) => p.partNumber) };
    } else {
      session.put = await this.blobs.presignPut(row.blob_key, {
        expiresIn: URL_SECONDS,
        contentType: row.content_type,
        contentLength: size,
        maxBytes: this.assets.limits.maxUploadBytes,
      });
    }
    return session;
  }

  async partUrls(tenantId: string, id: string, numbers: number[]): Promise<{ partNumber: number; request: PresignedRequest }[]> {
    const row = await this.row(tenantId, id);
    this.open(row);
    if (!row.multipart_id || !row.part_size) throw kernelError("KERNEL_VALIDATION", "this upload is a single PUT: use its put request");
    const count = Math.ceil(Number(row.size) / row.part_size);
    const bad = numbers.find((n) => !Number.isInteger(n) || n < 1 || n > count);
    if (bad !== undefined) throw kernelError("KERNEL_VALIDATION", `part numbers go from 1 to ${count} (got ${bad})`);
    const multipartId = row.multipart_id;
    return Promise.all(
      numbers.map(async (partNumber) => ({
        partNumber,
        request: await this.blobs.presignPart(row.blob_key, multipartId, partNumber, { expiresIn: URL_SECONDS }),
      })),
    );
  }

  /** Assembles the bytes, checks them like a direct upload, and makes the asset; staged bytes go either way. */
  async complete(tenantId: string, id: string): Promise<{ asset: Asset; job: JobRecord }> {
    const row = await this.row(tenantId, id);
    this.open(row);
    if (row.multipart_id) {
      const parts = await this.blobs.listParts(row.blob_key, row.multipart_id);
      const received = parts.reduce((sum, p) => sum + p.size, 0);
      if (received !== Number(row.size)) {
        throw kernelError("KERNEL_VALIDATION", `only ${received} of ${row.size} bytes arrived; send the missing parts, then complete again`);
      }
      await this.blobs.completeMultipart(row.blob_key, row.multipart_id);
    }
    const stat = await this.blobs.stat(row.blob_key);
    if (!stat) throw kernelError("KERNEL_VALIDATION", "no bytes arrived for this upload: PUT the file first");
    if (stat.size !== Number(row.size)) {
      await this.finish(tenantId, row, "aborted");
      throw kernelError("KERNEL_VALIDATION", `the upload has ${stat.size} bytes, not the ${row.size} declared`);
    }
    await mkdir(this.assets.tmpDir, { recursive: true });
    const tmp = path.join(this.assets.tmpDir, `upload-${row.id}`);
    try {
      await pipeline(await this.blobs.get(row.blob_key), createWriteStream(tmp));
      const created = await this.assets.create(
        tenantId,
        row.user_id,
        { path: tmp },
        {
          name: row.name,
          tags: row.tags ? row.tags.split(",") : [],
          projectId: row.project_id ?? undefined,
        },
      );
      await this.finish(tenantId, row, "completed", created.asset.id);
      return created;
    } catch (err) {
      // A file that fails the checks is refused for good: its bytes do not stay around.
      if ((err as { status?: number }).status && (err as { status: number }).status < 500) await this.finish(tenantId, row, "aborted");
      throw err;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async abort(tenantId: string, id: string): Promise<void> {
    const row = await this.row(tenantId, id);
    if (row.status === "open") await this.finish(tenantId, row, "aborted");
  }

  private async finish(tenantId: string, row: UploadRow, status: "completed" | "aborted", assetId?: string) {
    if (row.multipart_id && status === "aborted") await this.blobs.abortMultipart(row.blob_key, row.multipart_id).catch(() => {});
    await this.blobs.delete(row.blob_key);
    await withTenant(this.db, tenantId, (trx) =>
      trx("kernel.asset_uploads")
        .where({ id: row.id })
        .update({ status, asset_id: assetId ?? null }),
    );
  }
}
