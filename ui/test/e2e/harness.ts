import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Kernel, loadConfig } from "@crealia/kernel";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { spawnCli } from "../../../host/test/cli.js";
import { buildPanels } from "../../../scripts/build/panels.js";
import { buildStudio, studioIsStale } from "../../scripts/build.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const fixturePlugins = path.join(repoRoot, "ui/test/fixtures/plugins");
export const screenshots = path.join(repoRoot, ".tmp/screenshots");

/** The flags TOOLCHAIN.md lists for Debian's Chromium. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Builds ui/dist (and plugin panels) when a source is newer than the build. Test files run in parallel workers, so
 * a lock folder makes one build while the others wait for it.
 */
export async function ensureStudioBuilt(): Promise<void> {
  const lock = path.join(repoRoot, "ui/.build-lock");
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - started > 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (studioIsStale()) await buildStudio({ quiet: true });
    // TypeScript plugin panels (the filters Develop panel) are built the same way `npm start` does.
    await buildPanels({ ifStale: true });
  } finally {
    rmdirSync(lock);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Seeds `count` assets straight into the kernel's database (the fast path: no files, no
 * ingest), with the host stopped, so the library has a realistic size. Rows only: each tile
 * shows its placeholder.
 */
export async function seedAssets(home: string, count: number): Promise<void> {
  const config = loadConfig({ CREALIA_HOME: home, LOG_LEVEL: "silent" }, home);
  const kernel = await Kernel.create({ config, plugins: { plugins: [], invalid: [] }, mode: "migrate" });
  await kernel.start();
  try {
    const tenantId = kernel.tenants.defaultTenant?.id;
    if (!tenantId) throw new Error("no default tenant after migrations");
    await kernel.database.knex.raw(
      `insert into kernel.assets (tenant_id, kind, name, status, created_at, updated_at)
       select ?, case when i % 10 = 0 then 'video' when i % 17 = 0 then 'audio' else 'image' end,
              'seed-' || lpad(i::text, 5, '0') || case when i % 10 = 0 then '.mp4' when i % 17 = 0 then '.wav' else '.jpg' end,
              'ready', now() - make_interval(mins => i), now()
       from generate_series(1, ?) as i`,
      [tenantId, count],
    );
  } finally {
    await kernel.stop({ closeDatabase: true });
  }
}

/**
 * CREALIA_PLUGIN_DIRS for a host that has the fixture plugin and the named workspace plugins
 * (linked from a folder in `home`): the host runs in a scratch folder, so the workspace's
 * plugins/ is not its own, and work in progress in other plugins cannot break a test.
 */
export function pluginDirsWith(home: string, ids: string[]): string {
  const dir = path.join(home, "plugins");
  mkdirSync(dir, { recursive: true });
  for (const id of ids) symlinkSync(path.join(repoRoot, "plugins", id), path.join(dir, id), "dir");
  return [fixturePlugins, dir].join(path.delimiter);
}

export interface Host {
  url: string;
  home: string;
  stop(): Promise<void>;
}

/** Starts the real host the way `npm start` does (tsx, source condition), on PGlite and local disk in a temp home. */
export async function startHost(options: { home: string; env?: Record<string, string> }): Promise<Host> {
  const port = await freePort();
  const cwd = mkdtempSync(path.join(os.tmpdir(), "crealia-e2e-cwd-"));
  const child: ChildProcess = spawnCli(["start"], {
    cwd,
    env: { PORT: String(port), CREALIA_HOME: options.home, CREALIA_PLUGIN_DIRS: fixturePlugins, LOG_LEVEL: "warn", ...options.env },
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() - started > 30_000) {
      child.kill("SIGKILL");
      throw new Error(`the host did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    home: options.home,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium through playwright-core, in a throwaway profile. */
export async function openBrowser(profile: string, viewport = { width: 1440, height: 900 }): Promise<BrowserContext> {
  mkdirSync(screenshots, { recursive: true });
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Labels that appear more than once among the studio's places: the side navigation's links and,
 * on the library, its collections list. Empty when every place is listed once.
 */
export async function duplicateNavLabels(page: Page): Promise<string[]> {
  const labels = [
    ...(await page.getByRole("navigation", { name: "Studio" }).getByRole("link").allInnerTexts()),
    ...(await page.getByRole("complementary", { name: "Collections" }).getByRole("button").allInnerTexts()),
  ].map((l) => l.trim().toLowerCase());
  return [...new Set(labels.filter((l, i) => l && labels.indexOf(l) !== i))];
}
