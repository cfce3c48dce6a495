import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Kernel } from "@crealia/kernel";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** The built studio: `ui/dist` of this checkout (the same from host/src and host/dist), or CREALIA_STUDIO_DIR. */
export function studioDir(): string {
  return process.env.CREALIA_STUDIO_DIR
    ? path.resolve(process.env.CREALIA_STUDIO_DIR)
    : path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../ui/dist");
}

/** Paths that are never the studio's client routes: the API, plugin files, and anything with a file extension. */
const NOT_CLIENT = /^\/(api|graphql|plugins|assets)(\/|$)|^\/(healthz|readyz|metrics)$|\.[a-z0-9]{1,8}$/i;

/**
 * Serves the studio at `/`: the built Solid app from `ui/dist` when it is there, otherwise a
 * plain status page so a fresh start still shows what is running and where to go.
 *
 * Hashed files under `/assets/` are immutable (and served pre-compressed when the build wrote
 * .br/.gz beside them); every client route (`/library`, `/editor/<id>`, …) answers with
 * index.html, never cached, so a reload or a shared link opens the right screen.
 */
export async function registerStudio(app: FastifyInstance, kernel: Kernel, uiDist = studioDir()) {
  const indexFile = path.join(uiDist, "index.html");
  if (existsSync(indexFile)) {
    const html = readFileSync(indexFile, "utf8");
    if (existsSync(path.join(uiDist, "assets"))) {
      await app.register(fastifyStatic, {
        root: path.join(uiDist, "assets"),
        prefix: "/assets/",
        decorateReply: false,
        index: false,
        preCompressed: true,
        maxAge: "1y",
        immutable: true,
      });
    }
    app.get("/*", { schema: { hide: true } }, async (req, reply) => {
      const pathname = req.url.split("?")[0] ?? "/";
      if (NOT_CLIENT.test(pathname)) return reply.callNotFound();
      return reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(html);
    });
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
