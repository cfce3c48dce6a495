import type { Readable } from "node:stream";
import type { BlobInfo } from "../sdk/context.js";

export { assertBlobKey, assertBlobPrefix, scopedKey } from "./blob-keys.js";

export type BlobBody = Buffer | Uint8Array | NodeJS.ReadableStream;

export interface PutOptions {
  contentType?: string;
  /** The exact length; a body of another length fails (KERNEL_BLOB_LENGTH) and leaves nothing. */
  contentLength?: number;
  /** A body longer than this fails (KERNEL_BLOB_TOO_LARGE) and leaves nothing. */
  maxBytes?: number;
}

/** Bytes `start` to `end`, both included (as in HTTP Range); `end` absent or past the blob means "to the end". */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface BlobStat {
  size: number;
  contentType: string;
  /** Without quotes; `<md5>-<parts>` for a blob assembled from parts, as S3 gives it. */
  etag: string;
  lastModified: Date;
}

export interface StoredBlob extends BlobInfo {
  contentType: string;
  etag: string;
}

/** A request a client (browser, worker) makes itself: send `headers` exactly as given. */
export interface PresignedRequest {
  url: string;
  method: "GET" | "PUT";
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface PresignGetOptions {
  /** Seconds, 1 to 604800 (7 days, S3's limit). */
  expiresIn: number;
  /** Served as `Content-Disposition: attachment` with this name. */
  filename?: string;
}

export interface PresignPutOptions {
  expiresIn: number;
  /** The client must send this Content-Type. */
  contentType: string;
  /** Pins the exact size the client must send (S3 signs Content-Length); needed with `maxBytes`. */
  contentLength?: number;
  /** Refuses to presign a `contentLength` above this. S3 cannot cap a PUT's size any other way. */
  maxBytes?: number;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
}

/** S3's rules, kept by the local driver too so a client that works on one works on the other. */
export const MULTIPART = { minPartSize: 5 * 1024 * 1024, maxPartSize: 5 * 1024 * 1024 * 1024, maxParts: 10_000 } as const;
export const MAX_PRESIGN_SECONDS = 604_800;

/**
 * Where blobs live. Keys are built by the kernel (`tenants/<t>/plugins/<p>/…`), never taken raw
 * from users; every method refuses a key that is not `/`-separated safe segments
 * (KERNEL_BLOB_KEY_INVALID). A write is all or nothing: a body that fails half-way leaves no blob.
 * Prefixes have folder semantics: `list("a")` holds `a/x` and `a/y/z`, not `a` nor `ab`.
 */
export interface BlobStore {
  readonly kind: "local" | "s3";
  /** Streams the body in; on S3 a big body goes up in parts. */
  put(key: string, body: BlobBody, options?: PutOptions): Promise<StoredBlob>;
  /** KERNEL_BLOB_NOT_FOUND when missing; KERNEL_BLOB_RANGE when the range starts past the end. */
  get(key: string, options?: { range?: ByteRange }): Promise<Readable>;
  stat(key: string): Promise<BlobStat | null>;
  exists(key: string): Promise<boolean>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every key under `<prefix>/`; the prefix must not be empty. */
  deletePrefix(prefix: string): Promise<void>;
  /** Every key under `<prefix>/` ("" for all), sorted by key; paginated against the backend internally. */
  list(prefix: string): Promise<BlobInfo[]>;
  copy(from: string, to: string): Promise<void>;
  presignGet(key: string, options: PresignGetOptions): Promise<string>;
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest>;

  /** Starts a resumable upload; parts go straight from the client to the store through `presignPart`. */
  createMultipart(key: string, options: { contentType: string }): Promise<string>;
  /** A PUT URL for part `partNumber` (1 to 10000); the response's ETag header is the part's etag. */
  presignPart(key: string, uploadId: string, partNumber: number, options?: { expiresIn?: number }): Promise<PresignedRequest>;
  /** Parts received so far, by part number: what a resumed client need not send again. */
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /** Assembles the parts (all received ones when `parts` is absent) into the blob; the upload is gone after. */
  completeMultipart(key: string, uploadId: string, parts?: { partNumber: number; etag: string }[]): Promise<BlobStat>;
  /** Drops the upload and its parts; aborting an unknown upload is not an error. */
  abortMultipart(key: string, uploadId: string): Promise<void>;
}
