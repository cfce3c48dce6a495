import type { PluginContext } from "./context.js";

export interface PluginDefinition {
  /** Wires handlers to capabilities. Throwing here leaves the plugin out; nothing it registered stays. */
  setup(ctx: PluginContext): void | Promise<void>;
}

const PLUGIN_BRAND = Symbol.for("crealia.plugin");

export interface DefinedPlugin extends PluginDefinition {
  readonly [PLUGIN_BRAND]: true;
}

/** The default export of every plugin's entry module. The manifest stays in package.json. */
export function definePlugin(definition: PluginDefinition): DefinedPlugin {
  if (typeof definition?.setup !== "function") {
    throw new TypeError("definePlugin() needs an object with a setup(ctx) function");
  }
  return Object.freeze({ ...definition, [PLUGIN_BRAND]: true as const });
}

export function isDefinedPlugin(value: unknown): value is DefinedPlugin {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}
