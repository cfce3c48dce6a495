import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

/** The studio: one small shell chunk; screens and plugin panels load when opened. */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [solid()],
  resolve: { conditions: ["source"] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    manifest: true,
    sourcemap: false,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev -w ui` against a running host (npm start) on the default port.
    proxy: { "/api": "http://127.0.0.1:3000", "/plugins": "http://127.0.0.1:3000", "/graphql": "http://127.0.0.1:3000" },
  },
});
