import type { FastifyInstance } from "fastify";
import type { PluginHttp } from "../sdk/context.js";

type Call = { method: keyof PluginHttp; args: unknown[] };

const METHODS: (keyof PluginHttp)[] = [
  "get",
  "post",
  "put",
  "patch",
  "delete",
  "head",
  "options",
  "route",
  "addHook",
  "register",
  "addSchema",
  "decorateRequest",
  "decorateReply",
  "setErrorHandler",
  "addContentTypeParser",
];

/**
 * What `ctx.http` is during `setup`: it records each call and replays them into the plugin's
 * encapsulated Fastify scope only once `setup` has succeeded, so a throwing `setup` leaves no
 * route behind (Fastify cannot unregister one).
 */
export function createHttpRecorder(): { http: PluginHttp; replay(scope: FastifyInstance): void; routeCount(): number } {
  const calls: Call[] = [];
  let sealed = false;
  const http = {} as Record<string, unknown>;
  for (const method of METHODS) {
    http[method] = (...args: unknown[]) => {
      if (sealed) throw new Error(`ctx.http.${method}() called after setup finished: register routes inside setup()`);
      calls.push({ method, args });
      return http;
    };
  }
  return {
    http: http as unknown as PluginHttp,
    routeCount: () =>
      calls.filter((c) => !["addHook", "addSchema", "decorateRequest", "decorateReply", "setErrorHandler", "addContentTypeParser"].includes(c.method)).length,
    replay(scope) {
      sealed = true;
      for (const call of calls) (scope[call.method] as (...a: unknown[]) => unknown).apply(scope, call.args);
    },
  };
}
