import type { JSONSchemaType } from "ajv";

/** Where a UI panel mounts in the studio. */
export const PANEL_SLOTS = ["library.action", "editor.tool", "inspector", "page", "dashboard.widget"] as const;
export type PanelSlot = (typeof PANEL_SLOTS)[number];

export interface JobTypeManifest {
  /** CPU cores one job of this type occupies. */
  cpu?: number;
  /** GPU memory one job needs, in MiB; 0 or absent means the job never needs a GPU. */
  gpuMemoryMb?: number;
  /** How many jobs of this type one worker runs at once. */
  concurrency?: number;
  /** Attempts before a job goes to the dead-letter state. */
  attempts?: number;
  description?: string;
}

export interface PanelManifest {
  id: string;
  slot: PanelSlot;
  title: string;
  icon?: string;
  /** ES module, relative to the plugin's folder, that the studio imports when the panel opens. */
  entry: string;
}

export interface PermissionManifest {
  name: string;
  description: string;
}

export interface RoleManifest {
  description?: string;
  permissions: string[];
}

/** The `crealia` block of a plugin's package.json: read as data, never by running plugin code. */
export interface PluginManifest {
  id: string;
  version: string;
  /** Semver range of the SDK (`SDK_VERSION`) this plugin is written against. */
  kernel: string;
  name?: string;
  description?: string;
  /** Other plugins this one needs, by id, with a semver range. */
  requires?: Record<string, string>;
  /**
   * Plugins this one works with when they are there, by id, with a semver range: when one is
   * installed, in range and started, it starts first; when it is not, this plugin starts anyway and
   * its contributions to that plugin's extension points are left out.
   */
  optionalRequires?: Record<string, string>;
  /** Capabilities the plugin asks for: kernel ones (`storage.write`, `gpu.use`, `net:<host>`) and its own (`<id>.<action>`). */
  permissions?: string[];
  /** Permissions this plugin adds to the tenant's role system. */
  providesPermissions?: PermissionManifest[];
  roles?: Record<string, RoleManifest>;
  jobs?: Record<string, JobTypeManifest>;
  panels?: PanelManifest[];
  /** Path (relative to the plugin folder) of the JSON Schema for per-tenant settings. */
  settings?: string;
  events?: string[];
  /** Extension points this plugin owns (`<id>.<name>`); other plugins contribute to them. */
  extensionPoints?: string[];
  /** Extension points of other plugins this one contributes to; each owner must be in `requires` or `optionalRequires`. */
  contributes?: string[];
  /** Folder of knex migrations relative to the plugin folder; default `src/migrations` (or `dist/migrations`). */
  migrations?: string;
  /** Whether a tenant without an explicit choice has the plugin enabled. Default true. */
  enabledByDefault?: boolean;
}

const ID = "^[a-z][a-z0-9]*(-[a-z0-9]+)*$";
const SEMVER = "^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$";
const QUALIFIED = "^[a-z][a-z0-9-]*\\.[a-zA-Z0-9.-]+$";

/** JSON Schema of the manifest. Unknown keys are errors at every level. */
export const manifestSchema = {
  $id: "https://crealia.dev/schemas/plugin-manifest.json",
  type: "object",
  additionalProperties: false,
  required: ["id", "version", "kernel"],
  properties: {
    id: { type: "string", pattern: ID, minLength: 2, maxLength: 40 },
    version: { type: "string", pattern: SEMVER },
    kernel: { type: "string", minLength: 1 },
    name: { type: "string", nullable: true },
    description: { type: "string", nullable: true },
    requires: {
      type: "object",
      nullable: true,
      propertyNames: { pattern: ID },
      additionalProperties: { type: "string", minLength: 1 },
      required: [],
    },
    optionalRequires: {
      type: "object",
      nullable: true,
      propertyNames: { pattern: ID },
      additionalProperties: { type: "string", minLength: 1 },
      required: [],
    },
    permissions: { type: "array", nullable: true, items: { type: "string", minLength: 3 }, uniqueItems: true },
    providesPermissions: {
      type: "array",
      nullable: true,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "description"],
        properties: { name: { type: "string", pattern: QUALIFIED }, description: { type: "string" } },
      },
    },
    roles: {
      type: "object",
      nullable: true,
      required: [],
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["permissions"],
        properties: {
          description: { type: "string", nullable: true },
          permissions: { type: "array", items: { type: "string" } },
        },
      },
    },
    jobs: {
      type: "object",
      nullable: true,
      required: [],
      propertyNames: { pattern: QUALIFIED },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: {
          cpu: { type: "number", nullable: true, minimum: 0 },
          gpuMemoryMb: { type: "number", nullable: true, minimum: 0 },
          concurrency: { type: "integer", nullable: true, minimum: 1 },
          attempts: { type: "integer", nullable: true, minimum: 1, maximum: 100 },
          description: { type: "string", nullable: true },
        },
      },
    },
    panels: {
      type: "array",
      nullable: true,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "slot", "title", "entry"],
        properties: {
          id: { type: "string", pattern: ID },
          slot: { type: "string", enum: [...PANEL_SLOTS] },
          title: { type: "string", minLength: 1 },
          icon: { type: "string", nullable: true },
          entry: { type: "string", minLength: 1 },
        },
      },
    },
    settings: { type: "string", nullable: true },
    events: { type: "array", nullable: true, items: { type: "string", pattern: QUALIFIED } },
    extensionPoints: { type: "array", nullable: true, items: { type: "string", pattern: QUALIFIED }, uniqueItems: true },
    contributes: { type: "array", nullable: true, items: { type: "string", pattern: QUALIFIED }, uniqueItems: true },
    migrations: { type: "string", nullable: true },
    enabledByDefault: { type: "boolean", nullable: true },
  },
} as unknown as JSONSchemaType<PluginManifest>;
