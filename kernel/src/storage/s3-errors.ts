import { kernelError } from "../errors.js";
import { isCrealiaError } from "../sdk/errors.js";

interface S3Failure {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** S3's error names as the kernel's codes, so callers branch on one catalogue whatever the driver. */
export function fromS3Error(err: unknown, about: { key?: string; uploadId?: string } = {}): unknown {
  if (isCrealiaError(err) || typeof err !== "object" || err === null) return err;
  const e = err as S3Failure;
  const name = e.name ?? e.Code ?? "";
  const status = e.$metadata?.httpStatusCode;
  if (name === "NoSuchUpload") return kernelError("KERNEL_BLOB_UPLOAD_NOT_FOUND", `no multipart upload "${about.uploadId}" for this key`);
  if (name === "NoSuchKey" || name === "NotFound" || (status === 404 && name !== "NoSuchBucket"))
    return kernelError("KERNEL_BLOB_NOT_FOUND", `no blob "${about.key}"`);
  if (name === "InvalidRange" || status === 416) return kernelError("KERNEL_BLOB_RANGE", `the range starts past the end of "${about.key}"`);
  if (name === "InvalidPart" || name === "InvalidPartOrder" || name === "EntityTooSmall") {
    return kernelError(
      "KERNEL_BLOB_MULTIPART",
      `S3 refused to assemble the parts (${name}): a part is missing, its etag differs, or a part but the last is under 5 MiB`,
    );
  }
  if (name === "EntityTooLarge") return kernelError("KERNEL_BLOB_TOO_LARGE", "S3 refused the body as too large");
  return err;
}
