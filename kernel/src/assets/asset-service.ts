import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Knex } from "knex";
import type { Logger } from "pino";
import { kernelError } from "../errors.js";
import type { JobService } from "../jobs/job-service.js";
import type { JobContext, JobRecord } from "../sdk/context.js";
import type { BlobStore } from "../storage/blob-store.js";
import { withTenant } from "../tenancy/tenant-db.js";
import { AssetStore } from "./asset-store.js";
import { type Asset, type AssetListQuery, assetKeys, type Derivative } from "./asset-types.js";
import { DEFAULT_THUMBNAILS, makePoster, makeThumbnails, makeVideoProxy } from "./derivatives.js";
import { probeAv } from "./ffmpeg.js";
import { probeImage } from "./image-probe.js";
import { type AssetKind, detectMediaType } from "./media-types.js";
import { describeFile } from "./upload-receiver.js";

export const INGEST_JOB = "kernel.ingest";

export interface AssetLimits {
  maxUploadBytes: number;
  maxPixels: number;
}

interface MediaFields {
  width: number | null;
  height: number | null;
  durationMs: number | null;
  metadata: Record<string, unknown>;
  capturedAt: string | null;
}

interface NewFile {
  path: string;
  size?: number;
  sha256?: string;
}

/**
 * Assets: validated on the way in (type from the bytes, pixel limit, corruption), stored as
 * immutable versions, processed by the `kernel.ingest` job (metadata, thumbnails, proxy, poster).
 */
export class AssetService {
  readonly store: AssetStore;

  constructor(
    private readonly db: Knex,
    private readonly blobs: BlobStore,
    private readonly jobs: JobService,
    readonly limits: AssetLimits,
    readonly tmpDir: string,
    private readonly log: Logger,
  ) {
    this.store = new AssetStore(db);
  }

  /** The blob store behind assets, for tests that check what is (not) stored. */
  blobsForTest(): BlobStore {
    return this.blobs;
  }

  /** The kernel owns one job type, processed like any plugin's. */
  registerJobs() {
    this.jobs.declare("kernel", {
      [INGEST_JOB]: { concurrency: 2, attempts: 3, cpu: 1, description: "Metadata, thumbnails and proxies of a new asset version" },
    });
    this.jobs.setProcessor("kernel", INGEST_JOB, (job) => this.ingest(job as JobContext<{ assetId: string; version: number }>));
  }

  /**
   * Checks a file that is about to become an asset version; throws a coded 4xx when it cannot be
   * one. What it learned (dimensions, EXIF, streams) is kept, so ingest need not probe again.
   */
  async validate(file: string): Promise<{ mime: string; ext: string; kind: AssetKind; media: MediaFields }> {
    const type = await detectMediaType(file);
    if (type.kind === "image") {
      const { width, height, capturedAt, ...metadata } = await probeImage(file, this.limits.maxPixels);
      return { ...type, media: { width, height, durationMs: null, metadata, capturedAt } };
    }
    const probe = await probeAv(file).catch((err) => {
      throw kernelError("KERNEL_MEDIA_CORRUPT", `the ${type.kind} file cannot be read: ${String(err.message).split("\n").pop()}`);
    });
    if (!probe.video && !probe.audio) throw kernelError("KERNEL_MEDIA_CORRUPT", `the ${type.kind} file has no video or audio stream`);
    if (!probe.durationMs) throw kernelError("KERNEL_MEDIA_CORRUPT", `the ${type.kind} file has no duration`);
    const rotated = probe.video && (probe.video.rotation === 90 || probe.video.rotation === 270);
    return {
      ...type,
      // A video container holding only sound is an audio asset.
      kind: type.kind === "video" && !probe.video ? "audio" : type.kind,
      media: {
        width: probe.video ? (rotated ? probe.video.height : probe.video.width) : null,
        height: probe.video ? (rotated ? probe.video.width : probe.video.height) : null,
        durationMs: probe.durationMs,
        metadata: { ...probe },
        capturedAt: null,
      },
    };
  }

  /** Creates an asset from a received file: validate, store version 1, enqueue ingest. */
  async create(
    tenantId: string,
    userId: string | null,
    file: NewFile,
    options: { name: string; tags?: string[]; projectId?: string; idempotencyKey?: string },
  ): Promise<{ asset: Asset; job: JobRecord }> {
    const earlier = options.idempotencyKey ? await this.store.assetIdByKey(tenantId, options.idempotencyKey) : null;
    if (earlier) return this.existing(tenantId, userId, earlier);
    const type = await this.validate(file.path);
    if (options.projectId && !(await this.store.projectExists(tenantId, options.projectId))) {
      throw kernelError("KERNEL_VALIDATION", "projectId does not name a project of this tenant");
    }
    const described = file.sha256 && file.size ? { size: file.size, sha256: file.sha256 } : await describeFile(file.path);
    const id = randomUUID();
    const key = assetKeys.original(tenantId, id, 1, type.ext);
    await this.blobs.put(key, createReadStream(file.path), { contentType: type.mime });
    try {
      await withTenant(this.db, tenantId, async (trx) => {
        await this.store.insertAsset(trx, {
          id,
          tenantId,
          ownerUserId: userId,
          kind: type.kind,
          name: options.name,
          tags: normaliseTags(options.tags ?? []),
          idempotencyKey: options.idempotencyKey,
        });
        await this.store.insertVersion(trx, {
          assetId: id,
          tenantId,
          version: 1,
          blobKey: key,
          mime: type.mime,
          source: "upload",
          userId,
          ...described,
          media: type.media,
        });
        await this.store.setStatus(tenantId, id, { capturedAt: type.media.capturedAt }, trx);
        if (options.projectId) await trx("kernel.project_assets").insert({ project_id: options.projectId, asset_id: id });
      });
    } catch (err) {
      await this.blobs.delete(key).catch(() => {});
      // Two calls with one key at once: the one that lost the race answers with the winner's asset.
      const winner = options.idempotencyKey && isUniqueViolation(err) ? await this.store.assetIdByKey(tenantId, options.idempotencyKey) : null;
      if (winner) return this.existing(tenantId, userId, winner);
      throw err;
    }
    const job = await this.enqueueIngest(tenantId, userId, id, 1);
    return { asset: (await this.store.get(tenantId, id)) as Asset, job };
  }

  /** An asset made by an earlier call with the same idempotency key, with its (idempotent) ingest job. */
  private async existing(tenantId: string, userId: string | null, assetId: string): Promise<{ asset: Asset; job: JobRecord }> {
    const asset = (await this.store.get(tenantId, assetId, { includeDeleted: true })) as Asset;
    return { asset, job: await this.enqueueIngest(tenantId, userId, assetId, 1) };
  }

  /**
   * Adds a version (an edit): the original and every earlier version stay untouched. The new
   * version becomes current once its ingest finishes. With an idempotency key, a repeated call
   * (a retried job) gets the version the first one added instead of a duplicate.
   */
  async addVersion(
    tenantId: string,
    userId: string | null,
    assetId: string,
    file: NewFile,
    source: string,
    options: { idempotencyKey?: string } = {},
  ): Promise<{ version: number; job: JobRecord }> {
    const type = await this.validate(file.path);
    const described = file.sha256 && file.size ? { size: file.size, sha256: file.sha256 } : await describeFile(file.path);
    let key = "";
    let version: number;
    try {
      version = await withTenant(this.db, tenantId, async (trx) => {
        // The asset row is locked from here: concurrent edits (and repeats of one key) run one at a time.
        const next = await this.store.nextVersion(trx, tenantId, assetId);
        if (!next) throw kernelError("KERNEL_ASSET_NOT_FOUND", `no asset ${assetId} in this tenant`);
        const earlier = options.idempotencyKey ? await this.store.versionByKey(trx, tenantId, assetId, options.idempotencyKey) : null;
        if (earlier) return earlier;
        key = assetKeys.original(tenantId, assetId, next, type.ext);
        await this.blobs.put(key, createReadStream(file.path), { contentType: type.mime });
        await this.store.insertVersion(trx, {
          assetId,
          tenantId,
          version: next,
          blobKey: key,
          mime: type.mime,
          source,
          userId,
          ...described,
          media: type.media,
          idempotencyKey: options.idempotencyKey,
        });
        return next;
      });
    } catch (err) {
      // Nothing half-made stays behind: a stored file whose row was not written is removed.
      if (key) await this.blobs.delete(key).catch(() => {});
      throw err;
    }
    const job = await this.enqueueIngest(tenantId, userId, assetId, version);
    return { version, job };
  }

  private enqueueIngest(tenantId: string, userId: string | null, assetId: string, version: number) {
    return this.jobs.enqueue("kernel", INGEST_JOB, { assetId, version }, { tenantId, userId, idempotencyKey: `ingest:${assetId}:v${version}` });
  }

  /** The `kernel.ingest` processor. */
  private async ingest(job: JobContext<{ assetId: string; version: number }>) {
    const { assetId, version } = job.payload;
    const asset = await this.store.get(job.tenantId, assetId, { includeDeleted: true });
    const row = await this.store.versionRow(job.tenantId, assetId, version);
    if (!asset || !row) throw kernelError("KERNEL_ASSET_NOT_FOUND", `asset ${assetId} v${version} is gone`);
    await mkdir(this.tmpDir, { recursive: true });
    const work = await mkdtemp(path.join(this.tmpDir, "ingest-"));
    try {
      const source = path.join(work, "original");
      await pipeline(await this.blobs.get(row.blobKey), createWriteStream(source));
      await job.progress(0.1);
      const derivatives: Record<string, Derivative> = {};
      const keep = async (d: Derivative) => {
        await this.blobs.put(assetKeys.derivative(job.tenantId, assetId, version, d.name), createReadStream(path.join(work, d.name)), { contentType: d.mime });
        derivatives[d.name] = d;
      };
      if (asset.kind === "image") {
        for (const d of await makeThumbnails(source, work, DEFAULT_THUMBNAILS, this.limits.maxPixels)) await keep(d);
      } else if (asset.kind === "video") {
        const hasAudio = Boolean((row.metadata as { audio?: unknown }).audio);
        await keep(
          await makeVideoProxy(source, work, {
            durationMs: row.durationMs,
            hasAudio,
            signal: job.signal,
            onProgress: (f) => void job.progress(0.1 + f * 0.7).catch(() => {}),
          }),
        );
        const poster = await makePoster(source, work, row.durationMs, job.signal);
        await keep({ name: "poster.jpg", mime: "image/jpeg", size: (await stat(poster)).size });
        for (const d of await makeThumbnails(poster, work, DEFAULT_THUMBNAILS, this.limits.maxPixels)) await keep(d);
      }
      await job.progress(0.95);
      await this.store.updateVersionMedia(job.tenantId, assetId, version, { derivatives });
      await this.store.setStatus(job.tenantId, assetId, {
        status: "ready",
        error: null,
        ...(version >= asset.currentVersion ? { currentVersion: version } : {}),
      });
      return { assetId, version, derivatives: Object.keys(derivatives) };
    } catch (err) {
      this.log.warn({ err, assetId, version, attempt: job.attempt }, "ingest failed");
      if (job.attempt >= 3 || (err as { status?: number }).status) {
        await this.store.setStatus(job.tenantId, assetId, {
          status: version === 1 ? "failed" : asset.status,
          error: { code: (err as { code?: string }).code ?? "KERNEL_MEDIA_CORRUPT", message: (err as Error).message },
        });
      }
      throw err;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  async openFile(
    tenantId: string,
    assetId: string,
    name: string,
    version?: number,
  ): Promise<{ stream: NodeJS.ReadableStream; mime: string; size: number; downloadName: string }> {
    const asset = await this.store.get(tenantId, assetId);
    if (!asset) throw kernelError("KERNEL_ASSET_NOT_FOUND", `no asset ${assetId} in this tenant`);
    const row = await this.store.versionRow(tenantId, assetId, version ?? asset.currentVersion);
    if (!row) throw kernelError("KERNEL_ASSET_NOT_FOUND", `asset ${assetId} has no version ${version}`);
    if (name === "original") {
      return { stream: await this.blobs.get(row.blobKey), mime: row.mime, size: row.size, downloadName: downloadName(asset.name, row.version, row.mime) };
    }
    const d = row.derivatives[name];
    if (!d)
      throw kernelError(
        "KERNEL_ASSET_NOT_FOUND",
        `asset ${assetId} v${row.version} has no file "${name}"${asset.status === "processing" ? " yet (still processing)" : ""}`,
      );
    return {
      stream: await this.blobs.get(assetKeys.derivative(tenantId, assetId, row.version, d.name)),
      mime: d.mime,
      size: d.size,
      downloadName: `${asset.name.replace(/\.[^.]+$/, "")} (${d.name})`,
    };
  }

  list(tenantId: string, query: AssetListQuery) {
    return this.store.list(tenantId, query);
  }

  async get(tenantId: string, assetId: string): Promise<Asset> {
    const asset = await this.store.get(tenantId, assetId);
    if (!asset) throw kernelError("KERNEL_ASSET_NOT_FOUND", `no asset ${assetId} in this tenant`);
    return asset;
  }

  async update(tenantId: string, assetId: string, fields: { name?: string; tags?: string[] }): Promise<Asset> {
    await this.get(tenantId, assetId);
    await this.store.update(tenantId, assetId, { ...fields, tags: fields.tags ? normaliseTags(fields.tags) : undefined });
    return this.get(tenantId, assetId);
  }

  /** Soft delete: hidden from listings, restorable; blobs stay until purged. */
  async trash(tenantId: string, assetId: string): Promise<void> {
    await this.get(tenantId, assetId);
    await this.store.setDeleted(tenantId, assetId, true);
  }

  async restore(tenantId: string, assetId: string): Promise<Asset> {
    const asset = await this.store.get(tenantId, assetId, { includeDeleted: true });
    if (!asset) throw kernelError("KERNEL_ASSET_NOT_FOUND", `no asset ${assetId} in this tenant`);
    await this.store.setDeleted(tenantId, assetId, false);
    return this.get(tenantId, assetId);
  }

  /** Removes an asset for good: rows and every blob of every version. */
  async purge(tenantId: string, assetId: string): Promise<void> {
    const asset = await this.store.get(tenantId, assetId, { includeDeleted: true });
    if (!asset) throw kernelError("KERNEL_ASSET_NOT_FOUND", `no asset ${assetId} in this tenant`);
    await this.blobs.deletePrefix(assetKeys.prefix(tenantId, assetId));
    await this.store.deleteAsset(tenantId, assetId);
  }
}

export function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase().slice(0, 64)).filter(Boolean))].slice(0, 50);
}

const EXTENSIONS: Record<string, string> = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/avif": "avif", "image/tiff": "tif" };

/**
 * The file name a downloaded original gets: the asset's name, marked with its version after the
 * first (an edit saved as v2 is not the file first uploaded), with the extension of its real type.
 */
export function downloadName(assetName: string, version: number, mime: string): string {
  const dot = assetName.lastIndexOf(".");
  const base = dot > 0 ? assetName.slice(0, dot) : assetName;
  const ext = EXTENSIONS[mime] ?? (dot > 0 ? assetName.slice(dot + 1) : "");
  const marked = version > 1 ? `${base} (v${version})` : base;
  return ext ? `${marked}.${ext}` : marked;
}

/** Postgres' unique_violation. */
function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "23505";
}
