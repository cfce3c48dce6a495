import type { FastifyInstance } from "fastify";
import { Histogram, type Registry } from "prom-client";

/** Request latency per route and plugin; plugin is "kernel" for the kernel's own routes. */
export function installHttpMetrics(app: FastifyInstance, registry: Registry) {
  const latency = new Histogram({
    name: "crealia_http_request_duration_seconds",
    help: "HTTP request latency",
    labelNames: ["method", "route", "status", "plugin"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    const plugin = /^\/api\/p\/([^/]+)\//.exec(route)?.[1] ?? "kernel";
    latency.observe({ method: req.method, route, status: String(reply.statusCode), plugin }, reply.elapsedTime / 1000);
  });
}
