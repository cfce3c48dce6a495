/**
 * The one error type that crosses the HTTP/GraphQL edge. Kernel codes start with `KERNEL_`,
 * a plugin's with its upper-cased id (`FILTERS_…`). The HTTP layer answers
 * `{ error: { code, message, details? } }` with `status`.
 */
export class CrealiaError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: string, status: number, message: string, details?: unknown) {
    super(message);
    this.name = "CrealiaError";
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export function isCrealiaError(err: unknown): err is CrealiaError {
  return err instanceof CrealiaError || (typeof err === "object" && err !== null && (err as { name?: string }).name === "CrealiaError");
}
