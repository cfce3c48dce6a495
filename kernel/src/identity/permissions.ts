import type { PluginManifest } from "../sdk/manifest.js";
import { permissionCovers } from "../sdk/permissions.js";

/** The kernel's own permissions. Plugins add theirs (`<id>.<action>`) in `providesPermissions`. */
export const KERNEL_PERMISSIONS: Record<string, string> = {
  "asset.read": "See assets, their versions and files",
  "asset.write": "Upload, edit and organise assets",
  "asset.delete": "Delete and purge assets",
  "job.read": "See jobs and their progress",
  "job.write": "Cancel and retry jobs",
  "tenant.read": "See the tenant",
  "tenant.manage": "Rename the tenant",
  "member.read": "See the tenant's members and roles",
  "member.manage": "Add and remove members and change their roles",
  "role.manage": "Create and change custom roles",
  "plugin.read": "See the tenant's plugins and panels",
  "plugin.manage": "Enable, disable, pin and configure plugins, and set their secrets",
  "apikey.manage": "Create, list and revoke API keys",
  "audit.read": "Read the audit log",
  "oauth.read": "See connected outside accounts",
  "oauth.manage": "Connect and disconnect outside accounts",
  "agency.manage": "Create client tenants and apply bundles to them (agency tenants)",
};

export const BUILT_IN_ROLES = ["owner", "admin", "editor", "viewer"] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

export interface RoleDefinition {
  name: string;
  description: string;
  permissions: string[];
  source: "kernel" | "tenant" | `plugin:${string}`;
}

const READ_ONLY = ["asset.read", "job.read", "tenant.read", "member.read", "plugin.read", "oauth.read"];

/** Permissions plugins declare (`providesPermissions`) across the started plugins. */
export function pluginPermissions(manifests: Iterable<PluginManifest>): string[] {
  return [...manifests].flatMap((m) => (m.providesPermissions ?? []).map((p) => p.name));
}

/**
 * Built-in roles, then roles from plugin manifests. A plugin role may only grant the plugin's own
 * permissions and the kernel's read permissions; anything else in it is dropped.
 */
export function catalogueRoles(manifests: Iterable<PluginManifest>): RoleDefinition[] {
  const list = [...manifests];
  const fromPlugins = pluginPermissions(list);
  const roles: RoleDefinition[] = [
    { name: "owner", description: "Everything, including making other owners", permissions: ["*"], source: "kernel" },
    {
      name: "admin",
      description: "Everything but making owners",
      permissions: [...Object.keys(KERNEL_PERMISSIONS), ...fromPlugins],
      source: "kernel",
    },
    {
      name: "editor",
      description: "Works with assets, jobs and every plugin feature",
      permissions: [...READ_ONLY, "asset.write", "asset.delete", "job.write", ...fromPlugins],
      source: "kernel",
    },
    {
      name: "viewer",
      description: "Reads everything, changes nothing",
      permissions: [...READ_ONLY, ...fromPlugins.filter((p) => p.endsWith(".read"))],
      source: "kernel",
    },
  ];
  for (const m of list) {
    for (const [name, role] of Object.entries(m.roles ?? {})) {
      if (roles.some((r) => r.name === name)) continue;
      const allowed = role.permissions.filter((p) => p.startsWith(`${m.id}.`) || READ_ONLY.includes(p));
      roles.push({ name, description: role.description ?? `${m.id} role`, permissions: allowed, source: `plugin:${m.id}` });
    }
  }
  return roles;
}

/** Whether `granter` may hand out every permission of `wanted` (no one grants more than they hold). */
export function mayGrant(granter: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    if (w === "*" || w.endsWith("*")) return granter.includes("*") || granter.includes(w);
    return granter.some((g) => permissionCovers(g, w));
  });
}

/** A permission name the kernel or a plugin can define: `<area>.<action>`, optionally ending in `*`. */
export const PERMISSION_PATTERN = "^(\\*|[a-z][a-z0-9-]*\\.(\\*|[a-zA-Z0-9.:-]+\\*?))$";
