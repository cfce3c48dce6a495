import type { FastifyRequest } from "fastify";
import type { Identity } from "./context.js";
import { CrealiaError } from "./errors.js";

/**
 * Whether a granted permission covers a needed one. Grants may end in `*` (`asset.*`, or `*` for
 * everything); the needed permission is always a plain name (`asset.read`, `filters.export`).
 */
export function permissionCovers(granted: string, needed: string): boolean {
  if (granted === needed || granted === "*") return true;
  if (granted.endsWith("*")) return needed.startsWith(granted.slice(0, -1));
  if (granted.startsWith("*.")) return needed.endsWith(granted.slice(1));
  return false;
}

/** Whether the caller holds every one of `needed`. */
export function hasPermission(identity: Pick<Identity, "permissions"> | null | undefined, ...needed: string[]): boolean {
  if (!identity) return false;
  return needed.every((n) => identity.permissions.some((g) => permissionCovers(g, n)));
}

/** Throws the kernel's 403 (`KERNEL_FORBIDDEN`) unless the caller holds every one of `needed`. */
export function assertPermission(identity: Pick<Identity, "permissions"> | null | undefined, ...needed: string[]): void {
  if (!hasPermission(identity, ...needed)) {
    throw new CrealiaError("KERNEL_FORBIDDEN", 403, `this needs the permission${needed.length > 1 ? "s" : ""} ${needed.join(", ")}`, { needed });
  }
}

/**
 * A Fastify `preHandler` that answers 403 unless the caller holds `needed`. The same check runs
 * for any route declared with `config: { permission: "…" }`, which is usually simpler:
 *
 * ```ts
 * ctx.http.post("/presets", { config: { permission: "filters.write" } }, handler);
 * ctx.http.post("/presets", { preHandler: requirePermission("filters.write") }, handler);
 * ```
 */
export function requirePermission(...needed: string[]) {
  return async (req: FastifyRequest) => assertPermission(req.identity, ...needed);
}
