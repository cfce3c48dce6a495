import type { KernelConfig } from "../config.js";
import { kernelSecret } from "../kernel-secret.js";
import type { BlobStore } from "./blob-store.js";
import { LocalBlobStore } from "./local-blob-store.js";
import { createS3Client, S3BlobStore } from "./s3-blob-store.js";

/** S3 when S3_BUCKET is set, else local disk under `blobsDir` with kernel-signed URLs (served by http/blob-routes.ts). */
export function createBlobStore(config: KernelConfig, options: { publicBaseUrl?: string | null } = {}): BlobStore {
  if (config.s3) return new S3BlobStore({ client: createS3Client(config.s3), bucket: config.s3.bucket });
  return new LocalBlobStore(config.blobsDir, { secret: kernelSecret(config), publicBaseUrl: options.publicBaseUrl ?? config.publicUrl ?? "" });
}
