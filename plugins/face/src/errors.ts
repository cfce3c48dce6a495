import { CrealiaError } from "@crealia/kernel/sdk";

/** The face plugin's error catalogue: every code it sends, with its HTTP status. */
export const FACE_ERRORS = {
  FACE_ASSET_NOT_FOUND: { status: 404, description: "The tenant has no such asset (or it is in the trash)." },
  FACE_NOT_AN_IMAGE: { status: 422, description: "Faces can only be found in images." },
  FACE_IMAGE_UNREADABLE: { status: 422, description: "The image could not be decoded (corrupt, unsupported or too large)." },
  FACE_NOT_DETECTED: { status: 404, description: "Faces were not detected for this asset version yet: POST …/detect first." },
} as const;

export type FaceErrorCode = keyof typeof FACE_ERRORS;

export function faceError(code: FaceErrorCode, message: string, details?: unknown): CrealiaError {
  const e = new CrealiaError(code, FACE_ERRORS[code].status, message, details);
  // Errors of the input, not of the machine: retrying the job cannot help.
  (e as CrealiaError & { retryable?: boolean }).retryable = false;
  return e;
}

/**
 * The kernel's own answer for a model that was never fetched (`KERNEL_MODEL_NOT_INSTALLED`, 409),
 * given at the route so the caller learns it before a job is queued.
 */
export function modelNotInstalled(modelId: string): CrealiaError {
  return new CrealiaError("KERNEL_MODEL_NOT_INSTALLED", 409, `model "${modelId}" is not installed: run \`crealia models fetch ${modelId}\``, {
    modelId,
    fetch: `crealia models fetch ${modelId}`,
  });
}

/**
 * A model file the kernel refused when the job loaded it: tampered with or damaged
 * (`KERNEL_MODEL_CHECKSUM`), or gone since the route checked it (`KERNEL_MODEL_NOT_INSTALLED`).
 * The kernel's code, status and message are kept; the message leads with which model failed.
 * Not retried: only an operator's `crealia models fetch <id> --force` can fix it.
 */
export function modelFailed(err: unknown, modelId: string): unknown {
  // By shape, not `instanceof`: the kernel's error class may come from another copy of the SDK.
  const k = err as { code?: unknown; status?: unknown; message?: unknown; details?: unknown } | null;
  if (!k || (k.code !== "KERNEL_MODEL_CHECKSUM" && k.code !== "KERNEL_MODEL_NOT_INSTALLED")) return err;
  const status = typeof k.status === "number" ? k.status : k.code === "KERNEL_MODEL_CHECKSUM" ? 500 : 409;
  const e = new CrealiaError(k.code, status, `model "${modelId}" failed verification: ${String(k.message)}`, k.details);
  (e as CrealiaError & { retryable?: boolean }).retryable = false;
  return e;
}
