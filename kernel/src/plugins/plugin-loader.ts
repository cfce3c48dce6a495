import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Migration } from "../db/migrator.js";
import { type DefinedPlugin, isDefinedPlugin } from "../sdk/define-plugin.js";
import type { DiscoveredPlugin } from "./discovery.js";

/** True when TypeScript sources may be imported directly (tsx/vitest with the `source` condition). */
export function sourceMode(): boolean {
  if (process.env.CREALIA_SOURCE === "1") return true;
  if (process.env.CREALIA_SOURCE === "0") return false;
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  return /--conditions[= ]source|-C[= ]?source/.test(flags);
}

export function pluginEntry(plugin: DiscoveredPlugin): string {
  const pkg = JSON.parse(readFileSync(path.join(plugin.dir, "package.json"), "utf8"));
  const root = typeof pkg.exports === "string" ? { default: pkg.exports } : (pkg.exports?.["."] ?? pkg.exports ?? {});
  const candidates = [
    sourceMode() ? root.source : undefined,
    root.import,
    root.default,
    pkg.main,
    sourceMode() ? "src/index.ts" : undefined,
    "dist/index.js",
  ].filter((c): c is string => typeof c === "string");
  for (const candidate of candidates) {
    const full = path.resolve(plugin.dir, candidate);
    if (existsSync(full)) return full;
  }
  throw new Error(`no entry module found (looked for ${candidates.join(", ")}); build the plugin or run with the source condition`);
}

export async function loadPluginModule(plugin: DiscoveredPlugin): Promise<DefinedPlugin> {
  const mod = await import(pathToFileURL(pluginEntry(plugin)).href);
  const definition = mod.default;
  if (!isDefinedPlugin(definition)) {
    throw new Error("the entry module's default export is not definePlugin({...})");
  }
  return definition;
}

const MIGRATION_FILE = /^[^.].*\.(ts|js|mjs)$/;

/** Loads the plugin's knex migrations (modules exporting `up` and optionally `down`), in name order. */
export async function loadPluginMigrations(plugin: DiscoveredPlugin): Promise<Migration[]> {
  const folders = plugin.manifest.migrations
    ? [plugin.manifest.migrations]
    : sourceMode()
      ? ["src/migrations", "dist/migrations"]
      : ["dist/migrations", "src/migrations"];
  const folder = folders.map((f) => path.resolve(plugin.dir, f)).find((f) => existsSync(f));
  if (!folder) return [];
  const files = readdirSync(folder)
    .filter((f) => MIGRATION_FILE.test(f) && !f.endsWith(".d.ts"))
    .filter((f) => sourceMode() || !f.endsWith(".ts"))
    .sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const mod = await import(pathToFileURL(path.join(folder, file)).href);
    if (typeof mod.up !== "function") throw new Error(`migration ${file} does not export up(knex)`);
    migrations.push({ name: file.replace(/\.(ts|js|mjs)$/, ""), up: mod.up, down: mod.down });
  }
  return migrations;
}
