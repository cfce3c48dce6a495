import { CrealiaError } from "@crealia/kernel/sdk";

/** The cutout plugin's error catalogue: every code it sends, with its HTTP status. */
export const CUTOUT_ERRORS = {
  CUTOUT_ASSET_NOT_FOUND: { status: 404, description: "The tenant has no such asset (or it is in the trash)." },
  CUTOUT_NOT_AN_IMAGE: { status: 422, description: "Backgrounds can only be removed from images." },
  CUTOUT_IMAGE_UNREADABLE: { status: 422, description: "The image could not be decoded (corrupt, unsupported or too large)." },
  CUTOUT_FORMAT_NO_ALPHA: { status: 400, description: "A transparent cut-out was asked for in JPEG, which has no alpha: use png or webp." },
  CUTOUT_ASPECT_UNSUPPORTED: {
    status: 422,
    description: "The image is more than 4 times as long as it is wide (a panorama): the model would see it squeezed beyond use. Crop it first.",
  },
  CUTOUT_MODEL_UNSUITABLE: { status: 422, description: "The model named is not a segmentation model with one NCHW RGB input and an alpha output." },
} as const;

export type CutoutErrorCode = keyof typeof CUTOUT_ERRORS;

export function cutoutError(code: CutoutErrorCode, message: string, details?: unknown): CrealiaError {
  const e = new CrealiaError(code, CUTOUT_ERRORS[code].status, message, details);
  (e as CrealiaError & { retryable?: boolean }).retryable = false;
  return e;
}
