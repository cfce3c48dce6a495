import { rmSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { distDir } from "../../scripts/build.js";
import { measureBundle, SHELL_BUDGET_BYTES } from "../../scripts/bundle-size.js";
import { ensureStudioBuilt, type Host, openBrowser, screenshots, seedAssets, startHost, tempDir } from "./harness.js";

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

/** A 2400×1600 photo-like JPEG: gradients and shapes, a warm disc in the centre. */
async function makePhoto(file: string) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2400" height="1600">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#2b4c7e"/><stop offset="1" stop-color="#f2b880"/></linearGradient>
    <radialGradient id="sun"><stop offset="0" stop-color="#ffd166"/><stop offset="1" stop-color="#f08a24"/></radialGradient></defs>
    <rect width="2400" height="1600" fill="url(#sky)"/>
    <circle cx="1200" cy="800" r="330" fill="url(#sun)"/>
    <path d="M0 1250 L500 900 L900 1180 L1400 820 L1900 1150 L2400 950 L2400 1600 L0 1600 Z" fill="#1d3b2a"/>
    <path d="M0 1400 L700 1150 L1300 1380 L1800 1200 L2400 1420 L2400 1600 L0 1600 Z" fill="#0f2418"/>
  </svg>`;
  // Fine grain so the file has the size (and upload time) of a real photo.
  const { data, info } = await sharp(Buffer.from(svg)).raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, (data[i] as number) + ((i * 2654435761) % 13) - 6));
  await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: 90 })
    .toFile(file);
}

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

  test("opens the photo in the editor: zoom, before/after, a plugin tool edits it, undo", async () => {
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

    const centre = () =>
      canvas.evaluate((c: HTMLCanvasElement) =>
        Array.from((c.getContext("2d") as CanvasRenderingContext2D).getImageData(c.width / 2, c.height / 2, 1, 1).data),
      );
    const original = await centre();
    // The fixture plugin's tool panel mounts in the editor's tool slot.
    const tool = page.locator('[data-panel="studio-fixture/invert"]');
    await tool.getByTestId("invert-apply").click();
    await expect.poll(() => canvas.getAttribute("data-preview")).toBe("set");
    await expect.poll(async () => (await centre())[2] !== original[2]).toBe(true);
    const edited = await centre();
    expect(Math.abs((edited[0] as number) - (255 - (original[0] as number)))).toBeLessThan(40);
    await expect.poll(() => tool.getByTestId("invert-state").textContent()).toBe("yes");
    await shot("editor-edited");

    await page.getByRole("button", { name: "Before/after" }).click();
    await expect.poll(() => canvas.getAttribute("data-mode")).toBe("before");
    expect(await centre()).toEqual(original);
    await page.keyboard.press("\\");
    await expect.poll(() => canvas.getAttribute("data-mode")).toBe("after");
    await page.getByRole("button", { name: "Split", exact: true }).click();
    await shot("editor-split");
    await page.getByRole("button", { name: "Split", exact: true }).click();

    await page.getByRole("button", { name: "Undo" }).click();
    await expect.poll(() => canvas.getAttribute("data-preview")).toBe("none");
    await expect.poll(() => tool.getByTestId("invert-state").textContent()).toBe("no");
    await page.keyboard.press("Control+Shift+Z");
    await expect.poll(() => canvas.getAttribute("data-preview")).toBe("set");
    await expect.poll(() => tool.getByTestId("invert-state").textContent()).toBe("yes");
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
    await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Trash" }).click();
    await page.waitForURL(/view=trash/);
    await tile.click();
    await shot("trash");
    await page.getByRole("button", { name: "Restore" }).click();
    await tile.waitFor({ state: "detached" });
    await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Library" }).click();
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
