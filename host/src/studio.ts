import { existsSync } from "node:fs";
import path from "node:path";
import type { Kernel } from "@crealia/kernel";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/**
 * Serves the studio at `/`: the built Solid app from `ui/dist` when it is there, otherwise a
 * plain status page so a fresh start still shows what is running and where to go.
 */
export async function registerStudio(app: FastifyInstance, kernel: Kernel, uiDist = path.resolve(process.cwd(), "ui/dist")) {
  if (existsSync(path.join(uiDist, "index.html"))) {
    await app.register(fastifyStatic, { root: uiDist, prefix: "/", decorateReply: false, index: "index.html" });
    return;
  }
  app.get("/", { schema: { hide: true } }, async (_req, reply) => {
    reply.type("text/html; charset=utf-8");
    return statusPage(kernel);
  });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function statusPage(kernel: Kernel): string {
  const rows = kernel
    .plugins()
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.id)}</td><td>${escapeHtml(p.version)}</td><td class="${p.state}">${p.state}</td><td>${escapeHtml(p.reason ?? "")}</td></tr>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Crealia</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 52rem; padding: 2rem; color: #1d1d1f; }
  @media (prefers-color-scheme: dark) { body { background: #111; color: #eee; } a { color: #8ab4ff; } }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #8884; }
  .started { color: #1a7f37; } .failed { color: #cf222e; }
</style></head>
<body>
  <h1>Crealia is running</h1>
  <p>The kernel is up on ${escapeHtml(kernel.database.kind === "pglite" ? "embedded PGlite" : "PostgreSQL")} with
  ${escapeHtml(kernel.jobs.transport.kind)} jobs. The web studio is not built into this checkout yet; meanwhile:</p>
  <ul>
    <li><a href="/api/docs">API reference</a> (OpenAPI, every started plugin's routes)</li>
    <li><a href="/api/kernel/plugins">Plugin states</a> and <a href="/api/ui/panels">UI panels</a> as JSON</li>
    <li><a href="/readyz">Readiness</a> and <a href="/metrics">Prometheus metrics</a></li>
  </ul>
  <h2>Plugins</h2>
  ${rows ? `<table><thead><tr><th>Plugin</th><th>Version</th><th>State</th><th>Reason</th></tr></thead><tbody>${rows}</tbody></table>` : "<p>No plugins installed. Create one with <code>npm run crealia -- plugin new &lt;id&gt;</code>.</p>"}
</body></html>`;
}
