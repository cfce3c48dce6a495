/** @crealia/kernel/sdk — everything a plugin may import from the kernel. */

export type * from "./context.js";
export type { DefinedPlugin, PluginDefinition } from "./define-plugin.js";
export { definePlugin, isDefinedPlugin } from "./define-plugin.js";
export { CrealiaError, isCrealiaError } from "./errors.js";
export type { JobTypeManifest, PanelManifest, PanelSlot, PermissionManifest, PluginManifest, RoleManifest } from "./manifest.js";
export { manifestSchema, PANEL_SLOTS } from "./manifest.js";
export { SDK_VERSION } from "./version.js";
