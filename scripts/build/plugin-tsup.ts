import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Options } from "tsup";

/**
 * The server build every plugin shares: `src/index.ts` and each migration to `dist/`, so the host
 * can load the plugin outside source mode (`dist/index.js`, `dist/migrations/*.js`).
 */
export function pluginServerBuild(pluginDir: string, extra: Partial<Options> = {}): Options {
  const migrationsDir = path.join(pluginDir, "src/migrations");
  const migrations = (existsSync(migrationsDir) ? readdirSync(migrationsDir, { withFileTypes: true }) : [])
    .filter((e) => e.isFile() && /\.ts$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => e.name.replace(/\.ts$/, ""));
  return {
    entry: { index: "src/index.ts", ...Object.fromEntries(migrations.map((m) => [`migrations/${m}`, `src/migrations/${m}.ts`])) },
    format: ["esm"],
    platform: "node",
    target: "node20",
    outDir: "dist",
    clean: false,
    splitting: false,
    sourcemap: true,
    // Dependencies stay imports; the workspace (or the installed package) provides them.
    skipNodeModulesBundle: true,
    ...extra,
  };
}
