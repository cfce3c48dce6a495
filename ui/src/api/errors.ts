/** A failed request, with the kernel's code and a sentence a person understands. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The server's own message (technical, may change wording). */
    readonly detail: string,
    readonly requestId: string | null = null,
    /** The error body's `details`, when the kernel sent some. */
    readonly details: unknown = undefined,
  ) {
    super(humanMessage(status, code, detail, details));
    this.name = "ApiError";
  }
}

/** Codes for failures that never reached the kernel's error body. */
export const CLIENT_CODES = {
  network: "CLIENT_NETWORK",
  aborted: "CLIENT_ABORTED",
  badResponse: "CLIENT_BAD_RESPONSE",
} as const;

const BY_CODE: Record<string, string> = {
  CLIENT_NETWORK: "Can't reach the Crealia server. Check that it is running and that you are online, then try again.",
  CLIENT_ABORTED: "Cancelled.",
  CLIENT_BAD_RESPONSE: "The server sent an answer the studio can't read. Reload the page; if it happens again, tell your administrator.",
  KERNEL_UNAUTHENTICATED: "Your session has ended. Sign in again to continue.",
  KERNEL_FORBIDDEN: "You don't have permission to do that in this workspace. Ask an admin for access.",
  KERNEL_PLUGIN_DISABLED: "This feature's plugin is turned off for this workspace. An admin can enable it under Settings → Plugins.",
  KERNEL_UNSUPPORTED_MEDIA: "This file type isn't supported. Upload a photo (JPEG, PNG, WebP, HEIC, TIFF…), a video or an audio file.",
  KERNEL_MEDIA_CORRUPT: "The file seems damaged or incomplete, so it can't be opened. Try exporting it again from its source.",
  KERNEL_MEDIA_TOO_LARGE: "The image has more pixels than this server allows. Resize it and upload it again.",
  KERNEL_UPLOAD_TOO_LARGE: "The file is larger than this server accepts.",
  KERNEL_EMPTY_FILE: "The file is empty.",
  KERNEL_ASSET_NOT_FOUND: "That item no longer exists. It may have been deleted.",
  KERNEL_JOB_NOT_FOUND: "That job no longer exists.",
  KERNEL_JOB_STATE: "The job can't do that now: only failed or cancelled jobs can be retried, and finished jobs can't be cancelled.",
  KERNEL_MODEL_NOT_INSTALLED: "An AI model this feature needs isn't installed on the server. An admin can install it with `crealia models fetch`.",
  KERNEL_INVALID_CREDENTIALS: "That email and password don't match an account.",
  KERNEL_RATE_LIMITED: "Too many attempts. Wait a few minutes, then try again.",
  KERNEL_ACCOUNT_LOCKED: "This account is locked after too many failed sign-ins. Reset your password to unlock it.",
  KERNEL_EMAIL_TAKEN: "An account with this email exists already. Sign in instead.",
  KERNEL_WEAK_PASSWORD: "Choose a longer password (at least 8 characters).",
  KERNEL_CSRF: "The page's security token is missing or stale. Reload the page and try again.",
  KERNEL_PLUGIN_NOT_FOUND: "That plugin isn't running on this server.",
  KERNEL_CONFLICT: "That conflicts with the current state. Reload and try again.",
  KERNEL_INTERNAL: "Something went wrong on the server. Try again; if it keeps happening, tell your administrator.",
  KERNEL_NOT_FOUND: "The server doesn't offer this action (the route is missing). The studio and the server may be different versions.",
};

/**
 * What to tell a person about a failed request. Validation messages from the kernel are
 * already readable, so they are passed on; everything else gets a fixed sentence by code or
 * status, so no stack trace or raw JSON ever reaches the screen.
 */
export function humanMessage(status: number, code: string, detail: string, details?: unknown): string {
  if (code === "KERNEL_VALIDATION" || code === "KERNEL_REQUEST")
    return `The request was refused: ${detail || "some input is not valid"}.`.replace(/\.\.$/, ".");
  if (code === "KERNEL_UPLOAD_TOO_LARGE" && detail) return `${BY_CODE[code]} (${detail})`;
  // The kernel names the missing model and the exact command: an admin can act on it as written.
  const fetch = (details as { fetch?: unknown; modelId?: unknown } | undefined)?.fetch;
  if (code === "KERNEL_MODEL_NOT_INSTALLED" && typeof fetch === "string") {
    const model = (details as { modelId?: unknown }).modelId;
    return `The AI model${typeof model === "string" ? ` "${model}"` : ""} this feature needs isn't installed on the server. An admin can install it with \`${fetch}\`.`;
  }
  const known = BY_CODE[code];
  if (known) return known;
  if (status === 0) return BY_CODE.CLIENT_NETWORK as string;
  if (status === 401) return BY_CODE.KERNEL_UNAUTHENTICATED as string;
  if (status === 403) return BY_CODE.KERNEL_FORBIDDEN as string;
  if (status === 404) return "Not found: it may have been moved or deleted.";
  if (status === 409) return `That conflicts with the current state${detail ? `: ${detail}` : ""}. Reload and try again.`;
  if (status === 413) return "That is too large for the server.";
  if (status === 429) return "Too many attempts. Wait a minute, then try again.";
  if (status === 502 || status === 503 || status === 504) return "The server is busy or restarting. Try again in a moment.";
  if (status >= 500) return BY_CODE.KERNEL_INTERNAL as string;
  return detail ? `The request was refused: ${detail}` : `The request failed (HTTP ${status}).`;
}

/** A message for anything caught: ApiErrors carry theirs; other errors get a generic sentence. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof DOMException && err.name === "AbortError") return BY_CODE.CLIENT_ABORTED as string;
  if (err instanceof TypeError) return BY_CODE.CLIENT_NETWORK as string;
  return "Something went wrong. Try again.";
}
