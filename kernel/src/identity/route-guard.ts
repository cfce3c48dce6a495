import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from "fastify";
import type { GraphQLResolvers, Identity } from "../sdk/context.js";
import { assertPermission } from "../sdk/permissions.js";

/**
 * Permissions of kernel routes that do not declare their own (`config.permission`): by path
 * prefix and method. Reads need `<area>.read`, writes `<area>.write`, deletes of assets `asset.delete`.
 */
const DEFAULTS: { prefix: string; read: string; write: string; remove?: string }[] = [
  { prefix: "/api/assets", read: "asset.read", write: "asset.write", remove: "asset.delete" },
  { prefix: "/api/projects", read: "asset.read", write: "asset.write" },
  { prefix: "/api/jobs", read: "job.read", write: "job.write" },
  { prefix: "/api/kernel/plugins", read: "plugin.read", write: "plugin.manage" },
  { prefix: "/api/ui/panels", read: "plugin.read", write: "plugin.manage" },
];

function defaultPermission(method: string, url: string): string | null {
  const area = DEFAULTS.find((d) => url === d.prefix || url.startsWith(`${d.prefix}/`));
  if (!area) return null;
  if (method === "GET" || method === "HEAD") return area.read;
  if (method === "DELETE" && area.remove) return area.remove;
  return area.write;
}

/**
 * Adds the permission check to every route registered from now on, the plugins' included: a
 * route's `config.permission` (one name or several), else the kernel default for its path. The
 * check runs as the route's own `onRequest` hook, after the caller is resolved and after a
 * disabled plugin has answered 404, before the body is read.
 */
export function installPermissionChecks(app: FastifyInstance) {
  app.addHook("onRoute", (route: RouteOptions) => {
    const config = (route.config ?? {}) as { permission?: string | string[]; public?: boolean };
    // Public kernel routes have no caller to check; a plugin route's `public` is ignored.
    if (config.public && !route.url.startsWith("/api/p/")) return;
    const methods = [route.method].flat();
    const declared = config.permission === undefined ? null : [config.permission].flat();
    const needed = declared ?? [...new Set(methods.map((m) => defaultPermission(m, route.url)).filter((p): p is string => p !== null))];
    if (needed.length === 0) return;
    const check: onRequestHookHandler = async (req: FastifyRequest) => {
      assertPermission(req.identity, ...needed);
    };
    route.onRequest = route.onRequest ? [...[route.onRequest].flat(), check] : [check];
  });
}

/** Wraps the root fields of kernel resolvers so each type's fields need a permission. */
export function guardResolverFields(resolvers: GraphQLResolvers, permissions: Record<string, string>): GraphQLResolvers {
  const out: GraphQLResolvers = {};
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const needed = permissions[typeName];
    out[typeName] = {};
    for (const [name, resolver] of Object.entries(fields)) {
      if (!needed) {
        (out[typeName] as Record<string, unknown>)[name] = resolver;
        continue;
      }
      const check = (ctx: { identity?: Identity }) => assertPermission(ctx?.identity, needed);
      if (typeof resolver === "function") {
        (out[typeName] as Record<string, unknown>)[name] = (root: unknown, args: unknown, ctx: { identity?: Identity }, info: unknown) => {
          check(ctx);
          return (resolver as (...a: unknown[]) => unknown)(root, args, ctx, info);
        };
      } else if (resolver && typeof resolver === "object" && "subscribe" in resolver) {
        const sub = resolver as { subscribe: (...a: unknown[]) => unknown };
        (out[typeName] as Record<string, unknown>)[name] = {
          ...sub,
          subscribe: (root: unknown, args: unknown, ctx: { identity?: Identity }, info: unknown) => {
            check(ctx);
            return sub.subscribe(root, args, ctx, info);
          },
        };
      } else (out[typeName] as Record<string, unknown>)[name] = resolver;
    }
  }
  return out;
}
