import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** The shell's first-load budget: JavaScript fetched before the studio can render, gzip-compressed. */
export const SHELL_BUDGET_BYTES = 150 * 1024;

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

export interface BundleReport {
  /** Gzip bytes of the entry and everything it imports statically. */
  initialJsGzip: number;
  initialFiles: string[];
  initialCssGzip: number;
  /** Chunks that load later (screens, the sandbox bridge), with their gzip size. */
  lazy: { file: string; gzip: number }[];
}

const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

/** Measures a vite build from its manifest (build.manifest must be on). */
export function measureBundle(dist: string): BundleReport {
  const manifest = JSON.parse(readFileSync(path.join(dist, ".vite/manifest.json"), "utf8")) as Record<string, ManifestChunk>;
  const entry = Object.entries(manifest).find(([, c]) => c.isEntry);
  if (!entry) throw new Error("the manifest has no entry chunk");
  const initial = new Set<string>();
  const css = new Set<string>();
  const walk = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || initial.has(chunk.file)) return;
    initial.add(chunk.file);
    for (const c of chunk.css ?? []) css.add(c);
    for (const dep of chunk.imports ?? []) walk(dep);
  };
  walk(entry[0]);
  const lazy = [...new Set(Object.values(manifest).map((c) => c.file))]
    .filter((f) => f.endsWith(".js") && !initial.has(f))
    .map((file) => ({ file, gzip: gz(path.join(dist, file)) }))
    .sort((a, b) => b.gzip - a.gzip);
  return {
    initialJsGzip: [...initial].reduce((sum, f) => sum + gz(path.join(dist, f)), 0),
    initialFiles: [...initial],
    initialCssGzip: [...css].reduce((sum, f) => sum + gz(path.join(dist, f)), 0),
    lazy,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist");
  const r = measureBundle(dist);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  process.stdout.write(
    `initial JS (gzip): ${kb(r.initialJsGzip)} of ${kb(SHELL_BUDGET_BYTES)} budget (ratio ${(r.initialJsGzip / SHELL_BUDGET_BYTES).toFixed(2)} vs budget)\n`,
  );
  for (const f of r.initialFiles) process.stdout.write(`  ${f}\n`);
  process.stdout.write(`initial CSS (gzip): ${kb(r.initialCssGzip)}\nloaded when opened:\n`);
  for (const c of r.lazy) process.stdout.write(`  ${c.file}  ${kb(c.gzip)}\n`);
  if (r.initialJsGzip > SHELL_BUDGET_BYTES) {
    process.stderr.write(`over budget by ${kb(r.initialJsGzip - SHELL_BUDGET_BYTES)}\n`);
    process.exit(1);
  }
}
