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
  KERNEL_CAPABILITY_DENIED: { status: 403, description: "The plugin used a capability outside its manifest." },
  KERNEL_GRAPHQL_NAMESPACE: { status: 500, description: "A plugin's GraphQL extension breaks the namespacing rules; the plugin is left out at start." },
  KERNEL_REQUEST: { status: 400, description: "A client error that carries no code of its own; it is sent with that error's own 4xx status." },
  KERNEL_INTERNAL: { status: 500, description: "An unexpected error; the log has the details under the request id." },
} as const;

export type KernelErrorCode = keyof typeof KERNEL_ERRORS;

export function kernelError(code: KernelErrorCode, message: string, details?: unknown): CrealiaError {
  return new CrealiaError(code, KERNEL_ERRORS[code].status, message, details);
}
