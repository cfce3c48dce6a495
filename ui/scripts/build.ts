import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { newestMtime } from "../../scripts/build/newest-mtime.js";

/**
 * Builds the studio into ui/dist (vite), then writes .br and .gz beside every script and
 * stylesheet so the host serves them pre-compressed. `--if-stale` builds only when ui/dist is
 * missing or older than a source file: `npm start` runs it first and pays nothing when the
 * build is current.
 */
export const uiRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const distDir = path.join(uiRoot, "dist");

/** Whether ui/dist is missing or older than any input of the build. */
export function studioIsStale(): boolean {
  let built: number;
  try {
    built = statSync(path.join(distDir, "index.html")).mtimeMs;
  } catch {
    return true;
  }
  const inputs = [
    newestMtime(path.join(uiRoot, "src")),
    ...["index.html", "vite.config.ts", "package.json"].map((f) => statSync(path.join(uiRoot, f)).mtimeMs),
  ];
  return inputs.some((t) => t > built);
}

function precompress(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) n += precompress(full);
    else if (/\.(js|css|svg|json)$/.test(entry.name)) {
      const body = readFileSync(full);
      writeFileSync(`${full}.gz`, gzipSync(body, { level: 9 }));
      writeFileSync(`${full}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      n++;
    }
  }
  return n;
}

export async function buildStudio(options: { quiet?: boolean } = {}): Promise<number> {
  const started = Date.now();
  const { build } = await import("vite");
  await build({ configFile: path.join(uiRoot, "vite.config.ts"), logLevel: options.quiet ? "error" : "warn" });
  precompress(path.join(distDir, "assets"));
  return Date.now() - started;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes("--if-stale");
  if (ifStale && !studioIsStale()) {
    process.stdout.write("studio: ui/dist is current\n");
  } else {
    const ms = await buildStudio();
    process.stdout.write(`studio: built ui/dist in ${(ms / 1000).toFixed(1)} s\n`);
  }
}
