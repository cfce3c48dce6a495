import { kernelError } from "../errors.js";

/** One key segment: letters, digits, ".", "_", "-". No "/", "\", "%", ":" or spaces, so nothing can be decoded into a path. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_KEY_LENGTH = 1024;

function badSegment(segment: string): boolean {
  return !SEGMENT.test(segment) || segment === "." || segment === "..";
}

function refuse(what: string, value: string): never {
  throw kernelError("KERNEL_BLOB_KEY_INVALID", `${what} "${value}" is not allowed: use "/"-separated segments of letters, digits, ".", "_" or "-"`);
}

/** Checks a full store key (both drivers call it on every key): relative, no empty, "." or ".." segments. */
export function assertBlobKey(key: string): string {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH || key.split("/").some(badSegment)) refuse("blob key", String(key));
  return key;
}

/** A list/delete prefix: a key, or "" for everything (folder semantics: it matches keys under `<prefix>/`). */
export function assertBlobPrefix(prefix: string, options: { allowEmpty: boolean }): string {
  const trimmed = typeof prefix === "string" ? prefix.replace(/\/$/, "") : prefix;
  if (trimmed === "" && options.allowEmpty) return "";
  return assertBlobKey(trimmed);
}

/** Joins a relative key under a prefix; refuses anything that could escape it. */
export function scopedKey(prefix: string, key: string): string {
  if (typeof key !== "string" || key.length === 0 || key.length > 512 || key.split("/").some(badSegment)) refuse("blob key", String(key));
  return assertBlobKey(`${prefix}/${key}`);
}
