import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { KernelConfig } from "../config.js";
import { kernelError } from "../errors.js";
import type { BlobInfo } from "../sdk/context.js";
import {
  checkCompleteParts,
  checkExpiresIn,
  checkPartNumber,
  checkPresignPut,
  checkPutOptions,
  checkRange,
  contentDisposition,
  expiry,
  unquote,
} from "./blob-checks.js";
import { assertBlobKey, assertBlobPrefix } from "./blob-keys.js";
import type {
  BlobBody,
  BlobStat,
  BlobStore,
  ByteRange,
  PresignedRequest,
  PresignGetOptions,
  PresignPutOptions,
  PutOptions,
  StoredBlob,
  UploadedPart,
} from "./blob-store.js";
import { ByteMeter, toReadable } from "./byte-meter.js";
import { fromS3Error } from "./s3-errors.js";

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Keys per ListObjectsV2/DeleteObjects page (S3's maximum is 1000); tests make it small to cover paging. */
  pageSize?: number;
  /** Bytes per part when `put` streams a big body (S3's minimum is 5 MiB); memory use is partSize × queueSize. */
  partSize?: number;
  queueSize?: number;
}

const DEFAULT_TYPE = "application/octet-stream";

/** The client for the configured bucket. Checksums only where S3 demands them: S3-compatible servers mangle the rest. */
export function createS3Client(s3: NonNullable<KernelConfig["s3"]>): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint ?? undefined,
    forcePathStyle: s3.forcePathStyle,
    credentials: s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** Blobs in one S3 bucket. Presigned URLs and multipart parts go from clients straight to S3. */
export class S3BlobStore implements BlobStore {
  readonly kind = "s3" as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly pageSize: number;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.pageSize = Math.min(options.pageSize ?? 1000, 1000);
    this.partSize = Math.max(options.partSize ?? 8 * 1024 * 1024, 5 * 1024 * 1024);
    this.queueSize = options.queueSize ?? 4;
  }

  async put(key: string, body: BlobBody, options: PutOptions = {}): Promise<StoredBlob> {
    assertBlobKey(key);
    checkPutOptions(options);
    const contentType = options.contentType || DEFAULT_TYPE;
    const meter = new ByteMeter({ contentLength: options.contentLength, maxBytes: options.maxBytes });
    const source = toReadable(body);
    // A failing source (or a length the meter refuses) fails the upload, which then aborts its parts.
    pipeline(source, meter, () => {});
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: meter, ContentType: contentType },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      const out = await upload.done();
      return { key, size: meter.bytes, contentType, etag: unquote(out.ETag ?? "") };
    } catch (err) {
      source.destroy();
      // The body's own error says more than the S3 call it broke.
      throw fromS3Error(source.errored ?? meter.errored ?? err, { key });
    }
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<Readable> {
    assertBlobKey(key);
    const range = options.range && checkRange(options.range);
    const out = await this.call(
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end ?? ""}` : undefined })),
      { key },
    );
    return out.Body as Readable;
  }

  async stat(key: string): Promise<BlobStat | null> {
    assertBlobKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? DEFAULT_TYPE,
        etag: unquote(out.ETag ?? ""),
        lastModified: out.LastModified ?? new Date(0),
      };
    } catch (err) {
      const mapped = fromS3Error(err, { key });
      if ((mapped as { code?: string }).code === "KERNEL_BLOB_NOT_FOUND") return null;
      throw mapped;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await this.call(this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })), { key });
  }

  async deletePrefix(prefix: string): Promise<void> {
    const base = assertBlobPrefix(prefix, { allowEmpty: false });
    // Page by page, so a huge prefix never sits in memory whole.
    for await (const page of this.pages(base)) {
      if (page.length === 0) continue;
      const out = await this.call(
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: page.map((b) => ({ Key: b.key })), Quiet: true } })),
        { key: base },
      );
      if (out.Errors?.length)
        throw new Error(`S3 could not delete ${out.Errors.length} blob(s) under "${base}": ${out.Errors[0]?.Code} ${out.Errors[0]?.Message}`);
    }
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const base = assertBlobPrefix(prefix, { allowEmpty: true });
    const out: BlobInfo[] = [];
    for await (const page of this.pages(base)) out.push(...page);
    // S3 lists in byte order already; S3-compatible servers do not all do so.
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async *pages(base: string): AsyncGenerator<BlobInfo[]> {
    let token: string | undefined;
    do {
      const out = await this.call(
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base ? `${base}/` : undefined, MaxKeys: this.pageSize, ContinuationToken: token }),
        ),
        { key: base },
      );
      yield (out.Contents ?? []).map((o) => ({ key: o.Key ?? "", size: o.Size ?? 0 }));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async copy(from: string, to: string): Promise<void> {
    assertBlobKey(from);
    assertBlobKey(to);
    // Keys are safe segments, so the copy source needs no escaping beyond this.
    const source = `${this.bucket}/${from.split("/").map(encodeURIComponent).join("/")}`;
    await this.call(this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: source, MetadataDirective: "COPY" })), { key: from });
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    assertBlobKey(key);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: options.filename ? contentDisposition(options.filename) : undefined,
    });
    return getSignedUrl(this.client, command, { expiresIn: checkExpiresIn(options.expiresIn) });
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    assertBlobKey(key);
    checkPresignPut(options);
    const exp = expiry(options.expiresIn);
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType, ContentLength: options.contentLength });
    // Content-Type (and Content-Length when pinned) are signed: S3 refuses a request that differs.
    const signableHeaders = new Set(["content-type", ...(options.contentLength === undefined ? [] : ["content-length"])]);
    const url = await getSignedUrl(this.client, command, { expiresIn: options.expiresIn, signableHeaders });
    return { url, method: "PUT", headers: { "content-type": options.contentType }, expiresAt: new Date(exp * 1000) };
  }

  async createMultipart(key: string, options: { contentType: string }): Promise<string> {
    assertBlobKey(key);
    const out = await this.call(
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType || DEFAULT_TYPE })),
      { key },
    );
    if (!out.UploadId) throw new Error(`S3 gave no upload id for "${key}"`);
    return out.UploadId;
  }

  async presignPart(key: string, uploadId: string, partNumber: number, options: { expiresIn?: number } = {}): Promise<PresignedRequest> {
    assertBlobKey(key);
    checkPartNumber(partNumber);
    const exp = expiry(options.expiresIn ?? 3600);
    const command = new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: checkUploadId(uploadId), PartNumber: partNumber });
    const url = await getSignedUrl(this.client, command, { expiresIn: options.expiresIn ?? 3600 });
    return { url, method: "PUT", headers: {}, expiresAt: new Date(exp * 1000) };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertBlobKey(key);
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    do {
      const out = await this.call(
        this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: checkUploadId(uploadId), PartNumberMarker: marker, MaxParts: this.pageSize }),
        ),
        { key, uploadId },
      );
      for (const p of out.Parts ?? []) parts.push({ partNumber: p.PartNumber ?? 0, etag: unquote(p.ETag ?? ""), size: p.Size ?? 0 });
      marker = out.IsTruncated ? out.NextPartNumberMarker : undefined;
    } while (marker);
    return parts;
  }

  async completeMultipart(key: string, uploadId: string, parts?: { partNumber: number; etag: string }[]): Promise<BlobStat> {
    assertBlobKey(key);
    const chosen = checkCompleteParts(parts ?? (await this.listParts(key, uploadId)));
    await this.call(
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: checkUploadId(uploadId),
          MultipartUpload: { Parts: chosen.map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"` })) },
        }),
      ),
      { key, uploadId },
    );
    const done = await this.stat(key);
    if (!done) throw kernelError("KERNEL_BLOB_NOT_FOUND", `blob "${key}" is missing right after its upload completed`);
    return done;
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertBlobKey(key);
    try {
      await this.call(this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: checkUploadId(uploadId) })), {
        key,
        uploadId,
      });
    } catch (err) {
      if ((err as { code?: string }).code !== "KERNEL_BLOB_UPLOAD_NOT_FOUND") throw err;
    }
  }

  /** One S3 call, its failure in the kernel's codes. */
  private async call<T>(request: Promise<T>, about: { key?: string; uploadId?: string }): Promise<T> {
    try {
      return await request;
    } catch (err) {
      throw fromS3Error(err, about);
    }
  }
}

function checkUploadId(uploadId: string): string {
  if (typeof uploadId !== "string" || uploadId.length === 0 || uploadId.length > 1024) {
    throw kernelError("KERNEL_BLOB_UPLOAD_NOT_FOUND", `"${String(uploadId)}" is not an upload id`);
  }
  return uploadId;
}
