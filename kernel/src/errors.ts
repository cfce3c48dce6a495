import { CrealiaError } from "./sdk/errors.js";

/**
 * The kernel's error catalogue: one code, one status, one meaning. docs/errors.md lists the same
 * codes; test/errors-catalogue.test.ts keeps both in sync.
 */
export const KERNEL_ERRORS = {
  KERNEL_CONFIG_INVALID: { status: 500, description: "The environment configuration is invalid; the message lists each problem." },
  KERNEL_VALIDATION: { status: 400, description: "The request does not match the route's schema." },
  KERNEL_NOT_FOUND: { status: 404, description: "No such route, or the plugin is not enabled for this tenant." },
  KERNEL_UNAUTHENTICATED: { status: 401, description: "The request carries no valid identity." },
  KERNEL_FORBIDDEN: { status: 403, description: "The caller lacks a permission the action needs." },
  KERNEL_PLUGIN_DISABLED: { status: 404, description: "The plugin is not enabled for the caller's tenant." },
  KERNEL_JOB_TYPE_UNKNOWN: { status: 400, description: "No started plugin declares this job type." },
  KERNEL_JOB_NOT_FOUND: { status: 404, description: "No job with this id in the caller's tenant." },
  KERNEL_JOB_STATE: {
    status: 409,
    description: "The job is not in a state that allows the action (retry of a job that has not failed or been cancelled, a child for a cancelled batch).",
  },
  KERNEL_CAPABILITY_DENIED: { status: 403, description: "The plugin used a capability outside its manifest." },
  KERNEL_GRAPHQL_NAMESPACE: { status: 500, description: "A plugin's GraphQL extension breaks the namespacing rules; the plugin is left out at start." },
  KERNEL_REQUEST: { status: 400, description: "A client error that carries no code of its own; it is sent with that error's own 4xx status." },
  KERNEL_UNSUPPORTED_MEDIA: {
    status: 415,
    description: "The uploaded bytes are not an image, video or audio format Crealia supports (checked from the bytes, not the name).",
  },
  KERNEL_MEDIA_CORRUPT: { status: 422, description: "The media file is truncated, corrupt or unreadable." },
  KERNEL_MEDIA_TOO_LARGE: { status: 413, description: "The image has more pixels than the configured limit (decompression-bomb guard)." },
  KERNEL_UPLOAD_TOO_LARGE: { status: 413, description: "The upload is larger than the configured size limit." },
  KERNEL_EMPTY_FILE: { status: 400, description: "The upload has no bytes." },
  KERNEL_ASSET_NOT_FOUND: { status: 404, description: "No asset (or asset version) with this id in the caller's tenant." },
  KERNEL_BLOB_KEY_INVALID: { status: 400, description: "A blob key or prefix has an unsafe segment (allowed: letters, digits, . _ -); nothing was touched." },
  KERNEL_BLOB_NOT_FOUND: { status: 404, description: "No blob with this key." },
  KERNEL_BLOB_RANGE: { status: 416, description: "The byte range starts past the end of the blob." },
  KERNEL_BLOB_TOO_LARGE: { status: 413, description: "The body is over the size limit of the write or presigned URL." },
  KERNEL_BLOB_LENGTH: { status: 400, description: "The body's length differs from the declared content length." },
  KERNEL_BLOB_URL_INVALID: { status: 403, description: "A presigned blob URL is malformed, tampered with, expired or used for another operation." },
  KERNEL_BLOB_UPLOAD_NOT_FOUND: { status: 404, description: "No multipart upload with this id for this key: completed, aborted or never started." },
  KERNEL_BLOB_MULTIPART: { status: 400, description: "The parts cannot be assembled: none, unordered, missing, bad etag, or a non-last part under 5 MiB." },
  KERNEL_MODEL_NOT_FOUND: { status: 404, description: "No valid model manifest has this id." },
  KERNEL_MODEL_NOT_INSTALLED: { status: 409, description: "The model is not in the cache: run `crealia models fetch <id>` (nothing downloads at run time)." },
  KERNEL_MODEL_CHECKSUM: { status: 500, description: "A model file's size or sha256 differs from its manifest; it is not installed or loaded." },
  KERNEL_MODEL_FETCH: { status: 502, description: "`crealia models fetch` could not get the model from its source (npm, https, blob store)." },
  KERNEL_INVALID_CREDENTIALS: { status: 401, description: "The email or password (or current password) is wrong." },
  KERNEL_RATE_LIMITED: { status: 429, description: "Too many failed sign-ins for this account or from this address; try again later." },
  KERNEL_ACCOUNT_LOCKED: { status: 423, description: "The account is locked after too many failed sign-ins; a password reset unlocks it." },
  KERNEL_EMAIL_TAKEN: { status: 409, description: "An account with this email exists already." },
  KERNEL_WEAK_PASSWORD: { status: 400, description: "The password is too short or too long." },
  KERNEL_TOKEN_INVALID: { status: 400, description: "A password-reset or email-verification token is unknown, used or expired." },
  KERNEL_REFRESH_INVALID: { status: 401, description: "The refresh token is unknown or its session has ended." },
  KERNEL_REFRESH_REUSED: { status: 401, description: "A refresh token was used twice; its whole session (token family) is revoked." },
  KERNEL_CSRF: { status: 403, description: "A cookie-authenticated unsafe request lacks the CSRF header." },
  KERNEL_SESSION_NOT_FOUND: { status: 404, description: "No such session of the caller's." },
  KERNEL_USER_NOT_FOUND: { status: 404, description: "No account with this email or id." },
  KERNEL_MEMBER_NOT_FOUND: { status: 404, description: "The user is not a member of the caller's tenant." },
  KERNEL_ROLE_NOT_FOUND: { status: 404, description: "No role with this name in the caller's tenant." },
  KERNEL_TENANT_NOT_FOUND: { status: 404, description: "No such tenant among the caller's (or the agency's clients)." },
  KERNEL_API_KEY_NOT_FOUND: { status: 404, description: "No API key with this id in the caller's tenant." },
  KERNEL_PLUGIN_NOT_FOUND: { status: 404, description: "No started plugin with this id." },
  KERNEL_BUNDLE_NOT_FOUND: { status: 404, description: "No bundle with this id in the caller's agency." },
  KERNEL_CONFLICT: { status: 409, description: "The change conflicts with the current state (last owner, name taken, role in use)." },
  KERNEL_CONNECTION_NOT_FOUND: { status: 404, description: "No OAuth connection with this id in the caller's tenant." },
  KERNEL_OAUTH_PROVIDER_UNKNOWN: { status: 404, description: "The plugin declares no OAuth provider with this name." },
  KERNEL_OAUTH_STATE: { status: 400, description: "The OAuth callback's state is missing, unknown, used or expired." },
  KERNEL_OAUTH_DENIED: { status: 400, description: "The provider did not authorize the connection." },
  KERNEL_OAUTH_PROVIDER: { status: 502, description: "The OAuth provider's token endpoint failed or could not be reached." },
  KERNEL_OAUTH_NOT_CONNECTED: { status: 409, description: "The tenant has not connected this provider for the plugin." },
  KERNEL_OAUTH_RECONNECT_NEEDED: { status: 409, description: "The provider refused to refresh the connection; the tenant must connect again." },
  KERNEL_INTERNAL: { status: 500, description: "An unexpected error; the log has the details under the request id." },
} as const;

export type KernelErrorCode = keyof typeof KERNEL_ERRORS;

export function kernelError(code: KernelErrorCode, message: string, details?: unknown): CrealiaError {
  return new CrealiaError(code, KERNEL_ERRORS[code].status, message, details);
}
