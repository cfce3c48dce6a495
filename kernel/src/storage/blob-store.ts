import { kernelError } from "../errors.js";
import type { BlobInfo } from "../sdk/context.js";

/** Where blobs live. Keys are built by the kernel (`tenants/<t>/plugins/<p>/…`), never taken raw from users. */
export interface BlobStore {
  readonly kind: "local" | "s3";
  put(key: string, body: Buffer | Uint8Array | NodeJS.ReadableStream, options?: { contentType?: string }): Promise<BlobInfo>;
  get(key: string): Promise<NodeJS.ReadableStream>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<BlobInfo[]>;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Joins a relative key under a prefix; refuses anything that could escape it. */
export function scopedKey(prefix: string, key: string): string {
  const parts = key.split("/");
  if (key.length === 0 || key.length > 512 || parts.some((p) => !SEGMENT.test(p) || p === "." || p === "..")) {
    throw kernelError("KERNEL_VALIDATION", `blob key "${key}" is not allowed: use segments of letters, digits, ".", "_" or "-"`);
  }
  return `${prefix}/${key}`;
}
