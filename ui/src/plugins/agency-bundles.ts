import type { ApiClient } from "../api/client.js";

/**
 * An agency's client workspaces and plugin bundles (kernel/src/http/tenant-routes.ts,
 * kernel/src/tenancy/bundles.ts). Applying a bundle to a client makes that client's enabled
 * plugins exactly the bundle's, with its version pins.
 */
export const AGENCY_ROUTES = {
  clients: "/api/agency/clients",
  bundles: "/api/agency/bundles",
  apply: (id: string) => `/api/agency/bundles/${encodeURIComponent(id)}/apply`,
} as const;

export interface ClientTenant {
  id: string;
  name: string;
  slug: string;
}

export interface BundlePlugin {
  versionPin?: string | null;
  settings?: Record<string, unknown>;
}

export interface Bundle {
  id: string;
  name: string;
  plugins: Record<string, BundlePlugin>;
  revision: number;
  clients: { tenantId: string; revision: number; appliedAt: string }[];
  updatedAt: string;
}

export async function listClients(api: ApiClient): Promise<ClientTenant[]> {
  return (await api.get<{ clients: ClientTenant[] }>(AGENCY_ROUTES.clients)).clients;
}

export async function createClient(api: ApiClient, name: string): Promise<ClientTenant> {
  return (await api.post<{ tenant: ClientTenant }>(AGENCY_ROUTES.clients, { name })).tenant;
}

export async function listBundles(api: ApiClient): Promise<Bundle[]> {
  return (await api.get<{ bundles: Bundle[] }>(AGENCY_ROUTES.bundles)).bundles;
}

export async function createBundle(api: ApiClient, name: string, plugins: Record<string, BundlePlugin>): Promise<Bundle> {
  return (await api.post<{ bundle: Bundle }>(AGENCY_ROUTES.bundles, { name, plugins })).bundle;
}

export async function applyBundle(api: ApiClient, bundleId: string, tenantIds: string[]): Promise<Bundle> {
  return (await api.post<{ bundle: Bundle }>(AGENCY_ROUTES.apply(bundleId), { tenantIds })).bundle;
}

/**
 * The bundle's plugin map from the form: the ticked plugins, each with its pin ("" is no pin).
 * A pin is a semver range, checked by the kernel; here only blanks are dropped.
 */
export function bundlePlugins(ticked: string[], pins: Record<string, string>): Record<string, BundlePlugin> {
  return Object.fromEntries(ticked.map((id) => [id, { versionPin: pins[id]?.trim() || null }]));
}

/** "filters, video ^1.2" for a bundle's list row. */
export function describePlugins(plugins: Record<string, BundlePlugin>): string {
  const ids = Object.keys(plugins).sort();
  if (!ids.length) return "No plugins (every plugin off)";
  return ids.map((id) => (plugins[id]?.versionPin ? `${id} ${plugins[id]?.versionPin}` : id)).join(", ");
}
