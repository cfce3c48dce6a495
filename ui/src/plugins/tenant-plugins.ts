import type { ApiClient } from "../api/client.js";
import { ApiError } from "../api/errors.js";

/**
 * Per-tenant plugin management (kernel/src/http/tenant-routes.ts): enablement, version pin and
 * settings of each plugin for the caller's tenant. A kernel without these routes, or a user
 * without `plugin.read`, gets a read-only plugin manager that says why.
 */
export const TENANT_PLUGIN_ROUTES = {
  list: "/api/tenant/plugins",
  one: (id: string) => `/api/tenant/plugins/${encodeURIComponent(id)}`,
} as const;

export interface TenantPlugin {
  id: string;
  version: string;
  enabled: boolean;
  /** Enabled and within the version pin: its routes, panels and jobs answer. */
  active: boolean;
  versionPin: string | null;
  settings: Record<string, unknown>;
  secrets: string[];
  /** The plugin's settings JSON Schema, when the kernel sends it. */
  settingsSchema?: unknown;
}

export type Management = { kind: "manage"; plugins: TenantPlugin[] } | { kind: "unavailable" } | { kind: "forbidden"; message: string };

/** What this user may do with the tenant's plugins. */
export async function loadManagement(api: ApiClient): Promise<Management> {
  try {
    const { plugins } = await api.get<{ plugins: TenantPlugin[] }>(TENANT_PLUGIN_ROUTES.list);
    return { kind: "manage", plugins };
  } catch (err) {
    if (err instanceof ApiError && err.code === "KERNEL_NOT_FOUND") return { kind: "unavailable" };
    if (err instanceof ApiError && err.status === 403) return { kind: "forbidden", message: err.message };
    throw err;
  }
}

export function setPluginEnabled(api: ApiClient, id: string, enabled: boolean) {
  return api.patch<{ plugin: TenantPlugin }>(TENANT_PLUGIN_ROUTES.one(id), { enabled });
}

export function savePluginSettings(api: ApiClient, id: string, settings: Record<string, unknown>) {
  return api.patch<{ plugin: TenantPlugin }>(TENANT_PLUGIN_ROUTES.one(id), { settings });
}

/**
 * A schema to build the settings form from: the plugin's own when the kernel sends it, else
 * one inferred from the current values (so known settings are still editable; the kernel
 * checks every save against the real schema).
 */
export function settingsSchemaOf(p: TenantPlugin): unknown {
  if (p.settingsSchema && typeof p.settingsSchema === "object") return p.settingsSchema;
  const properties: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(p.settings ?? {})) {
    const type =
      typeof v === "boolean"
        ? "boolean"
        : typeof v === "number"
          ? "number"
          : typeof v === "string"
            ? "string"
            : Array.isArray(v) && v.every((x) => typeof x === "string")
              ? "array"
              : "object";
    properties[key] = type === "array" ? { type, items: { type: "string" } } : { type };
  }
  return { type: "object", properties };
}
