import { kernelError } from "../errors.js";
import { type ByteRange, MAX_PRESIGN_SECONDS, MULTIPART, type PresignPutOptions, type PutOptions } from "./blob-store.js";

/** Argument checks both drivers share, so they refuse the same things with the same codes. */

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

export function checkExpiresIn(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw kernelError("KERNEL_VALIDATION", `expiresIn must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS} (got ${seconds})`);
  }
  return seconds;
}

/** Unix seconds when a URL made now with `expiresIn` stops working. */
export function expiry(expiresIn: number): number {
  return Math.floor(Date.now() / 1000) + checkExpiresIn(expiresIn);
}

export function checkPutOptions(options: PutOptions): void {
  if (options.contentLength !== undefined && !isCount(options.contentLength))
    throw kernelError("KERNEL_VALIDATION", "contentLength must be a whole number ≥ 0");
  if (options.maxBytes !== undefined && !isCount(options.maxBytes)) throw kernelError("KERNEL_VALIDATION", "maxBytes must be a whole number ≥ 0");
  if (options.contentLength !== undefined && options.maxBytes !== undefined && options.contentLength > options.maxBytes) {
    throw kernelError("KERNEL_BLOB_TOO_LARGE", `contentLength ${options.contentLength} is over the limit of ${options.maxBytes} bytes`);
  }
}

/** A presigned PUT cannot cap its size on S3, only pin it: so `maxBytes` needs the client's declared `contentLength`. */
export function checkPresignPut(options: PresignPutOptions): void {
  checkExpiresIn(options.expiresIn);
  if (!options.contentType) throw kernelError("KERNEL_VALIDATION", "presignPut needs a contentType");
  checkPutOptions(options);
  if (options.maxBytes !== undefined && options.contentLength === undefined) {
    throw kernelError("KERNEL_VALIDATION", "presignPut with maxBytes needs the exact contentLength: a presigned PUT can pin its size, not cap it");
  }
  if (options.contentLength !== undefined && options.contentLength > MULTIPART.maxPartSize) {
    throw kernelError("KERNEL_BLOB_TOO_LARGE", "a single PUT takes at most 5 GiB: use a multipart upload");
  }
}

export function checkPartNumber(partNumber: number): number {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MULTIPART.maxParts) {
    throw kernelError("KERNEL_VALIDATION", `partNumber must be a whole number from 1 to ${MULTIPART.maxParts} (got ${partNumber})`);
  }
  return partNumber;
}

export function checkRange(range: ByteRange): ByteRange {
  if (!isCount(range.start) || (range.end !== undefined && (!isCount(range.end) || range.end < range.start))) {
    throw kernelError("KERNEL_VALIDATION", `range ${JSON.stringify(range)} is not valid: start and end are byte offsets, end ≥ start, both included`);
  }
  return range;
}

/** The bytes a range covers in a blob of `size` bytes; past the end is KERNEL_BLOB_RANGE (HTTP 416), as on S3. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  checkRange(range);
  if (range.start >= size) throw kernelError("KERNEL_BLOB_RANGE", `range starts at byte ${range.start} but the blob has ${size} bytes`, { size });
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

/** Parts in ascending order, each once: what S3's CompleteMultipartUpload demands. */
export function checkCompleteParts(parts: { partNumber: number; etag: string }[]): { partNumber: number; etag: string }[] {
  if (parts.length === 0) throw kernelError("KERNEL_BLOB_MULTIPART", "the upload has no parts to assemble");
  parts.forEach((p, i) => {
    checkPartNumber(p.partNumber);
    const prev = parts[i - 1];
    if (prev && prev.partNumber >= p.partNumber) throw kernelError("KERNEL_BLOB_MULTIPART", "parts must be listed once each, in ascending partNumber order");
  });
  return parts.map((p) => ({ partNumber: p.partNumber, etag: unquote(p.etag) }));
}

export function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/"/g, "");
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266). */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
