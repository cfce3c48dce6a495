import { defineConfig } from "tsup";

// The server code (the host loads dist/index.js outside source mode) and the Develop panel, a
// browser ES module the kernel serves at /plugins/filters/<version>/dist/ui/develop.js.
export default defineConfig([
  {
    // pass-worker sits beside index.js: the render threads load it relative to the bundle.
    entry: { index: "src/index.ts", "pass-worker": "src/render/pass-worker.ts", "migrations/0001_filters": "src/migrations/0001_filters.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    outDir: "dist",
    clean: false,
    splitting: false,
    sourcemap: true,
    external: ["sharp", "exifr", "@crealia/kernel", "knex"],
  },
  {
    entry: { "ui/develop": "src/ui/develop.ts" },
    format: ["esm"],
    platform: "browser",
    target: "es2022",
    outDir: "dist",
    clean: false,
    minify: true,
    sourcemap: true,
  },
]);
