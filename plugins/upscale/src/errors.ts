import { CrealiaError } from "@crealia/kernel/sdk";

/** The upscale plugin's error catalogue: every code it sends, with its HTTP status and whether a retry can help. */
export const UPSCALE_ERRORS = {
  UPSCALE_BACKEND_NOT_CONFIGURED: {
    status: 409,
    retryable: false,
    description: "No model backend is configured for this tenant (settings.backend), or it cannot do this job type.",
  },
  UPSCALE_MODEL_UNSUITABLE: {
    status: 422,
    retryable: false,
    description: "The configured registry model is not an upscaling/style model with one NCHW RGB input, or cannot make the scale asked for.",
  },
  UPSCALE_ASSET_NOT_FOUND: { status: 404, retryable: false, description: "The tenant has no such asset (or it is in the trash)." },
  UPSCALE_NOT_AN_IMAGE: { status: 422, retryable: false, description: "Only images can be upscaled or restyled." },
  UPSCALE_IMAGE_UNREADABLE: { status: 422, retryable: false, description: "The image could not be decoded (corrupt, unsupported or too large)." },
  UPSCALE_TOO_LARGE: { status: 422, retryable: false, description: "The upscaled image would exceed the output limit." },
  UPSCALE_BACKEND_UNREACHABLE: { status: 502, retryable: true, description: "The inference server did not answer (connection refused, DNS, timeout)." },
  UPSCALE_BACKEND_AUTH: { status: 502, retryable: false, description: "The inference server refused the credentials (secret sdwebuiAuth)." },
  UPSCALE_BACKEND_REJECTED: { status: 502, retryable: false, description: "The inference server refused the request (HTTP 4xx, e.g. an unknown upscaler)." },
  UPSCALE_BACKEND_FAILED: { status: 502, retryable: true, description: "The inference server failed (HTTP 5xx)." },
  UPSCALE_BACKEND_BAD_OUTPUT: { status: 502, retryable: false, description: "The backend answered with something that is not the image asked for." },
} as const;

export type UpscaleErrorCode = keyof typeof UPSCALE_ERRORS;

export function upscaleError(code: UpscaleErrorCode, message: string, details?: unknown): CrealiaError {
  const e = new CrealiaError(code, UPSCALE_ERRORS[code].status, message, details);
  (e as CrealiaError & { retryable?: boolean }).retryable = UPSCALE_ERRORS[code].retryable;
  return e;
}
