/** @crealia/kernel/sdk — everything a plugin may import from the kernel. */

export { assetIdsSchema } from "./batch.js";
export type * from "./context.js";
export { BATCH_JOB_TYPE } from "./context.js";
export type { DefinedPlugin, PluginDefinition } from "./define-plugin.js";
export { definePlugin, isDefinedPlugin } from "./define-plugin.js";
export { CrealiaError, isCrealiaError } from "./errors.js";
export type { JobTypeManifest, PanelManifest, PanelSlot, PermissionManifest, PluginManifest, RoleManifest } from "./manifest.js";
export { manifestSchema, PANEL_SLOTS } from "./manifest.js";
export type {
  ModelConversion,
  ModelDType,
  ModelFile,
  ModelManifest,
  ModelNormalisation,
  ModelSource,
  ModelTask,
  ModelTensorSpec,
  ModelUpscaling,
} from "./model-manifest.js";
export { MODEL_DTYPES, MODEL_TASKS } from "./model-manifest.js";
export { assertPermission, hasPermission, permissionCovers, requirePermission } from "./permissions.js";
export { addTenantPolicy, TENANT_POLICY, TENANT_SETTING, tenantPolicySql } from "./tenancy.js";
export { SDK_VERSION } from "./version.js";
