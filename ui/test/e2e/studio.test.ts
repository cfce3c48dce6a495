import { rmSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { distDir } from "../../scripts/build.js";
import { measureBundle, SHELL_BUDGET_BYTES } from "../../scripts/bundle-size.js";
import { PANEL_SDK_VERSION } from "../../src/sdk/types.js";
import { duplicateNavLabels, ensureStudioBuilt, type Host, openBrowser, screenshots, seedAssets, startHost, tempDir } from "./harness.js";
import { makePhoto } from "./media.js";

/**
 * The studio end to end: the built app served by the real host (PGlite, local disk, in-process
 * jobs) driven through Debian's Chromium. One host and one browser for the whole file; the
 * steps run in order, like a person's session.
 */
const SEEDED = 10_000;
const temps: string[] = [];
let host: Host;
let context: BrowserContext;
let page: Page;
let photo: string;
let uploadedId = "";

const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
const tileCount = () => page.locator(".tile").count();

beforeAll(async () => {
  const started = Date.now();
  await ensureStudioBuilt();
  const home = tempDir("crealia-e2e-home-");
  temps.push(home);
  photo = path.join(home, "sunset-over-hills.jpg");
  await Promise.all([seedAssets(home, SEEDED), makePhoto(photo)]);
  host = await startHost({ home });
  const profile = tempDir("crealia-e2e-profile-");
  temps.push(profile);
  context = await openBrowser(profile);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
  process.stdout.write(`e2e setup: ${Date.now() - started} ms (seeded ${SEEDED} assets)\n`);
}, 90_000);

afterAll(async () => {
  await context?.close();
  await host?.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe.sequential("studio", () => {
  test("first load of the shell stays under the JavaScript budget", () => {
    const report = measureBundle(distDir);
    expect(report.initialJsGzip).toBeLessThan(SHELL_BUDGET_BYTES);
    // Screens and the sandbox bridge are separate chunks, loaded when opened.
    const lazy = report.lazy.map((c) => c.file).join(" ");
    for (const screen of ["Library", "Editor", "PluginManager", "frame-host"]) expect(lazy).toContain(screen);
  });

  test("opens on the library, with navigation from the panel registry", async () => {
    await page.goto(host.url);
    await page.waitForURL(/\/library$/);
    await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Fixture notes" }).waitFor();
    await page.locator(".tile").first().waitFor();
    expect(await page.title()).toBe("Crealia");
    // Each place is listed once: the side navigation and the library's collections share no entry.
    expect(await duplicateNavLabels(page)).toEqual([]);
  });

  test("the library virtualises 10 000 assets: fewer than 200 item nodes at any scroll position", async () => {
    const grid = page.getByRole("listbox");
    await expect.poll(tileCount).toBeGreaterThan(10);
    expect(await tileCount()).toBeLessThan(200);
    await shot("library");
    // Scroll far down: pages load as needed, the DOM stays small.
    for (const fraction of [0.5, 0.95, 0.95, 0.95]) {
      await grid.evaluate((el, f) => {
        el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
      }, fraction);
      await page.waitForTimeout(250);
      expect(await tileCount()).toBeLessThan(200);
    }
    await expect.poll(() => page.locator(".tile").last().getAttribute("aria-posinset").then(Number)).toBeGreaterThan(500);
    const deepest = Number(await page.locator(".tile").last().getAttribute("aria-posinset"));
    expect(deepest).toBeGreaterThan(500);
    expect(await tileCount()).toBeLessThan(200);
    await grid.evaluate((el) => {
      el.scrollTop = 0;
    });
  });

  test("uploads a photo with per-file progress, then shows it with its thumbnail", async () => {
    // Slow the upload down so its progress can be seen (localhost is instant otherwise).
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 384 * 1024 });
    await page.getByTestId("upload-input").setInputFiles(photo);
    const bar = page.locator("[data-upload-status=uploading] progress");
    await bar.waitFor({ timeout: 10_000 });
    await expect.poll(async () => Number(await bar.getAttribute("value")), { timeout: 10_000 }).toBeGreaterThan(0);
    await shot("upload-progress");
    await page.locator("[data-upload-status=done]").waitFor({ timeout: 30_000 });
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const tile = page.locator(".tile", { hasText: "sunset-over-hills.jpg" });
    await tile.locator("img").waitFor();
    await expect.poll(() => tile.locator("img").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    uploadedId = (await tile.getAttribute("data-asset-id")) ?? "";
    expect(uploadedId).toMatch(/^[0-9a-f-]{36}$/);
    await tile.click();
    await page.getByRole("complementary", { name: "Details" }).waitFor();
    await shot("library-selected");
  });

  test("the jobs tray shows the ingest job finished", async () => {
    await page.getByRole("button", { name: /^Jobs/ }).click();
    const tray = page.getByRole("complementary", { name: "Jobs" });
    await tray.locator('.job[data-job-type="kernel.ingest"][data-status="succeeded"]').first().waitFor();
    await expect.poll(() => tray.getByText("Live").isVisible()).toBe(true);
    await shot("jobs-tray");
    await page.getByRole("button", { name: "Close jobs" }).click();
  });

  // Editing through a plugin panel (the filters Develop panel), before/after and undo: develop.test.ts.
  test("opens the photo in the editor: zoom buttons, wheel zoom, fit", async () => {
    await page.locator(`.tile[data-asset-id="${uploadedId}"]`).dblclick();
    await page.waitForURL(/\/editor\//);
    const canvas = page.locator("canvas.editor-canvas");
    await canvas.waitFor();
    await expect.poll(() => page.locator(".canvas-loading").count()).toBe(0);
    const zoom = async () => Number(await canvas.getAttribute("data-zoom"));
    const fitted = await zoom();
    expect(fitted).toBeGreaterThan(0.1);
    expect(fitted).toBeLessThan(1);
    await page.getByRole("button", { name: "Zoom in" }).click();
    await expect.poll(zoom).toBeCloseTo(fitted * 1.25, 3);
    await canvas.hover();
    await page.mouse.wheel(0, -300);
    await expect.poll(zoom).toBeGreaterThan(fitted * 1.3);
    await page.getByRole("button", { name: "Fit to screen" }).click();
    await expect.poll(zoom).toBeCloseTo(fitted, 3);
  });

  test("a third-party panel runs sandboxed and reaches the studio only through the checked bridge", async () => {
    // The kernel marks third-party panels; here the fixture's "framed" panel is marked so.
    await page.route("**/api/ui/panels", async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { panels: { id: string; trust?: string }[] };
      for (const p of body.panels) if (p.id === "framed") p.trust = "third-party";
      await route.fulfill({ response: res, json: body });
    });
    await page.reload();
    await page.getByRole("tab", { name: "Framed" }).click();
    const frame = page.frameLocator("iframe.panel-frame");
    await expect.poll(() => frame.locator("#asset").textContent()).toBe("sunset-over-hills.jpg");
    await expect.poll(() => frame.locator("#route").textContent()).toBe("from studio-fixture");
    // sdk.jobs.untilEnded, inlined into the frame: the fixture's job ends and its record comes back.
    await expect.poll(() => frame.locator("#job").textContent()).toBe("succeeded, counted 3, last progress 1");
    expect(await frame.locator("#version").textContent()).toBe(PANEL_SDK_VERSION);
    await expect.poll(() => frame.locator("#refused").textContent()).toMatch(/^yes: a sandboxed panel may not call POST \/api\/projects/);
    expect(await page.locator("iframe.panel-frame").getAttribute("sandbox")).toBe("allow-scripts");
    await page.getByText("Framed: Hello from a sandboxed panel").waitFor();
    await shot("editor-sandboxed-panel");
    await page.unroute("**/api/ui/panels");
  });

  test("trash and restore", async () => {
    await page.goto(`${host.url}/library`);
    const tile = page.locator(`.tile[data-asset-id="${uploadedId}"]`);
    await tile.click();
    await page.getByRole("button", { name: "Move to trash" }).click();
    await tile.waitFor({ state: "detached" });
    await page.getByRole("complementary", { name: "Collections" }).getByRole("button", { name: "Trash" }).click();
    await page.waitForURL(/view=trash/);
    await tile.click();
    await shot("trash");
    await page.getByRole("button", { name: "Restore" }).click();
    await tile.waitFor({ state: "detached" });
    await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Library" }).click();
    await page.waitForURL(/\/library$/);
    await tile.waitFor();
  });

  test("the plugin manager lists plugins with their state, and disabling one removes its panels", async () => {
    await page.goto(`${host.url}/settings/plugins`);
    const row = page.locator('tr[data-plugin="studio-fixture"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("Running");
    await shot("plugins");
    const nav = page.getByRole("navigation", { name: "Studio" });
    await nav.getByRole("link", { name: "Fixture notes" }).waitFor();
    await row.getByRole("switch").uncheck();
    await nav.getByRole("link", { name: "Fixture notes" }).waitFor({ state: "detached" });
    await row.getByRole("switch").check();
    await nav.getByRole("link", { name: "Fixture notes" }).waitFor();
    await nav.getByRole("link", { name: "Fixture notes" }).click();
    await page.getByTestId("notes").waitFor();
  });

  test("dark theme on a tablet", async () => {
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(`${host.url}/library`);
    await page.locator(".tile img").first().waitFor();
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    expect(await tileCount()).toBeLessThan(200);
    await shot("library-tablet-dark");
    await page.locator(`.tile[data-asset-id="${uploadedId}"]`).dblclick();
    await page.locator("canvas.editor-canvas").waitFor();
    await expect.poll(() => page.locator(".canvas-loading").count()).toBe(0);
    await shot("editor-tablet-dark");
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    await shot("shortcuts-dark");
    await page.keyboard.press("Escape");
  });
});
