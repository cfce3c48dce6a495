import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { newestMtime } from "./newest-mtime.js";

/**
 * Builds the UI panels that plugins write in TypeScript: a panel whose manifest entry is
 * `dist/ui/<name>.js` and whose source is `src/ui/<name>.ts` becomes one browser ES module.
 * `dist/` is not committed, so `npm start` (and the e2e) run this first; `--if-stale` builds
 * only panels whose output is missing or older than a file under `src/ui/`.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

interface PanelBuild {
  plugin: string;
  source: string;
  outfile: string;
}

/** The TypeScript panels of the plugins in `plugins/`. */
export function typescriptPanels(pluginsDir = path.join(repoRoot, "plugins")): PanelBuild[] {
  const found: PanelBuild[] = [];
  for (const dir of readdirSync(pluginsDir, { withFileTypes: true })) {
    const pkgFile = path.join(pluginsDir, dir.name, "package.json");
    if (!dir.isDirectory() || !existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { crealia?: { id?: string; panels?: { entry?: string }[] } };
    for (const panel of pkg.crealia?.panels ?? []) {
      const m = /^(?:\.\/)?dist\/ui\/([\w-]+)\.js$/.exec(panel.entry ?? "");
      const source = m ? path.join(pluginsDir, dir.name, "src/ui", `${m[1]}.ts`) : null;
      if (m && source && existsSync(source)) {
        found.push({ plugin: pkg.crealia?.id ?? dir.name, source, outfile: path.join(pluginsDir, dir.name, "dist/ui", `${m[1]}.js`) });
      }
    }
  }
  return found;
}

function isStale(p: PanelBuild): boolean {
  if (!existsSync(p.outfile)) return true;
  return newestMtime(path.dirname(p.source)) > statSync(p.outfile).mtimeMs;
}

/** Builds the panels (only stale ones with `ifStale`); returns the plugins built. */
export async function buildPanels(options: { ifStale?: boolean } = {}): Promise<string[]> {
  const todo = typescriptPanels().filter((p) => !options.ifStale || isStale(p));
  if (!todo.length) return [];
  const { build } = await import("esbuild");
  for (const p of todo) {
    await build({
      entryPoints: [p.source],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      sourcemap: true,
      outfile: p.outfile,
      logLevel: "error",
    });
  }
  return todo.map((p) => p.plugin);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildPanels({ ifStale: process.argv.includes("--if-stale") });
  process.stdout.write(built.length ? `panels: built ${built.join(", ")}\n` : "panels: current\n");
}
