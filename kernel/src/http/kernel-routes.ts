import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { PluginRuntime } from "../plugins/plugin-runtime.js";
import type { TenantService } from "../tenancy/tenant-service.js";

export interface KernelRouteDeps {
  runtime: PluginRuntime;
  tenants: TenantService;
  metrics: Registry;
  ready: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
}

/** The kernel's own endpoints: health, readiness, metrics, plugin status and the panel registry. */
export async function registerKernelRoutes(app: FastifyInstance, deps: KernelRouteDeps) {
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: { hide: true } }, async (_req, reply) => {
    const { ready, checks } = await deps.ready();
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks });
  });

  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    reply.header("content-type", deps.metrics.contentType);
    return deps.metrics.metrics();
  });

  app.get(
    "/api/kernel/plugins",
    {
      schema: {
        tags: ["kernel"],
        summary: "Installed plugins with their state and, for one left out, the reason",
        response: {
          200: {
            type: "object",
            properties: {
              plugins: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    id: { type: "string" },
                    version: { type: "string" },
                    name: { type: "string" },
                    description: { type: "string" },
                    state: { type: "string" },
                    phase: { type: "string" },
                    reason: { type: "string" },
                    enabled: { type: "boolean" },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const enabled = new Set(await deps.tenants.enabledPluginIds(req.identity.tenantId));
      return { plugins: deps.runtime.list().map(({ dir: _dir, ...s }) => ({ ...s, enabled: enabled.has(s.id) })) };
    },
  );

  app.get(
    "/api/ui/panels",
    {
      schema: {
        tags: ["kernel"],
        summary: "UI panels of the plugins enabled for the caller's tenant",
        response: {
          200: {
            type: "object",
            properties: {
              panels: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    plugin: { type: "string" },
                    pluginVersion: { type: "string" },
                    id: { type: "string" },
                    slot: { type: "string" },
                    title: { type: "string" },
                    icon: { type: "string" },
                    url: { type: "string" },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const enabled = await deps.tenants.enabledPluginIds(req.identity.tenantId);
      const panels = [];
      for (const { plugin } of deps.runtime.started) {
        if (!enabled.includes(plugin.manifest.id)) continue;
        for (const p of plugin.manifest.panels ?? []) {
          panels.push({
            plugin: plugin.manifest.id,
            pluginVersion: plugin.manifest.version,
            id: p.id,
            slot: p.slot,
            title: p.title,
            icon: p.icon,
            url: panelUrl(plugin.manifest.id, plugin.manifest.version, p.entry),
          });
        }
      }
      return { panels };
    },
  );
}

/** Panels are served from `/plugins/<id>/<version>/…`, the path inside the plugin's folder kept as is. */
export function panelUrl(id: string, version: string, entry: string): string {
  return `/plugins/${id}/${version}/${entry.replace(/^\.?\//, "")}`;
}

/** Serves the folders that hold a plugin's panel entries, so panels and their chunks load as ES modules. */
export async function registerPanelAssets(app: FastifyInstance, plugin: { id: string; version: string; dir: string; entries: string[] }) {
  const folders = [...new Set(plugin.entries.map((e) => path.dirname(e.replace(/^\.?\//, ""))))];
  for (const folder of folders) {
    const root = path.resolve(plugin.dir, folder);
    if (!existsSync(root)) continue;
    await app.register(fastifyStatic, {
      root,
      prefix: `/plugins/${plugin.id}/${plugin.version}/${folder}/`,
      decorateReply: false,
      index: false,
      dotfiles: "deny",
      maxAge: "1y",
      immutable: true,
    });
  }
}
