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
