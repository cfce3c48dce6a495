import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { PluginManifest } from "../sdk/manifest.js";
import { validateManifest } from "./manifest-validation.js";

/** A plugin package found on disk. Its manifest was read as data; none of its code ran. */
export interface DiscoveredPlugin {
  dir: string;
  packageName: string;
  manifest: PluginManifest;
}

/** A package that claims to be a plugin but whose manifest cannot be used. */
export interface InvalidPlugin {
  dir: string;
  packageName: string;
  id: string;
  version: string;
  problems: string[];
}

export interface DiscoveryResult {
  plugins: DiscoveredPlugin[];
  invalid: InvalidPlugin[];
}

/** Reads every `<root>/<package>/package.json` (and scoped `<root>/@scope/<package>`) that has a `crealia` block. */
export function discoverPlugins(roots: string[]): DiscoveryResult {
  const result: DiscoveryResult = { plugins: [], invalid: [] };
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const dir of packageDirs(root)) {
      const found = readPluginPackage(dir);
      if (!found) continue;
      if ("problems" in found) result.invalid.push(found);
      else result.plugins.push(found);
    }
  }
  return result;
}

export function readPluginPackage(dir: string): DiscoveredPlugin | InvalidPlugin | null {
  const pkgPath = path.join(dir, "package.json");
  if (!existsSync(pkgPath)) return null;
  let pkg: { name?: string; version?: string; crealia?: unknown };
  try {
    pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  } catch (err) {
    return {
      dir,
      packageName: path.basename(dir),
      id: path.basename(dir),
      version: "?",
      problems: [`package.json is not valid JSON: ${(err as Error).message}`],
    };
  }
  if (pkg.crealia === undefined) return null;
  const packageName = pkg.name ?? path.basename(dir);
  // The version lives in package.json once; the manifest block may omit it.
  const raw = typeof pkg.crealia === "object" && pkg.crealia !== null ? { version: pkg.version, ...(pkg.crealia as object) } : pkg.crealia;
  const checked = validateManifest(raw);
  if (!checked.manifest) {
    const r = raw as { id?: unknown; version?: unknown };
    return {
      dir,
      packageName,
      id: typeof r?.id === "string" ? r.id : packageName,
      version: typeof r?.version === "string" ? r.version : "?",
      problems: checked.problems,
    };
  }
  if (pkg.version && checked.manifest.version !== pkg.version) {
    return {
      dir,
      packageName,
      id: checked.manifest.id,
      version: checked.manifest.version,
      problems: [`manifest version ${checked.manifest.version} differs from package.json version ${pkg.version}`],
    };
  }
  return { dir, packageName, manifest: checked.manifest };
}

function packageDirs(root: string): string[] {
  const dirs: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const full = path.join(root, name);
    if (!statSync(full).isDirectory()) continue;
    if (name.startsWith("@")) {
      for (const inner of readdirSync(full).sort()) {
        const innerFull = path.join(full, inner);
        if (statSync(innerFull).isDirectory()) dirs.push(innerFull);
      }
    } else dirs.push(full);
  }
  return dirs;
}
