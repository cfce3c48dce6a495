import { rmSync, statSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page, Request } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { duplicateNavLabels, ensureStudioBuilt, type Host, openBrowser, pluginDirsWith, screenshots, startHost, tempDir } from "./harness.js";
import { makeNoisePng, makePhoto, meanColour } from "./media.js";

/**
 * A person's first session, end to end on the real host (accounts, PGlite, local disk) in
 * Debian's Chromium: sign up, upload a photo, open it, develop it in the filters plugin's
 * Develop panel, export and download the result; then a big file that goes up in resumable
 * parts through a cut connection and a page reload. Steps run in order on one page.
 */
const MiB = 1024 * 1024;
const temps: string[] = [];
let host: Host;
let context: BrowserContext;
let page: Page;
let photo: string;
let bigFile: string;
let photoId = "";

const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
const develop = () => page.getByRole("region", { name: "Develop" });
const canvas = () => page.locator("canvas.editor-canvas");

/** Mean brightness of the editor canvas, sampled on a grid (what a person sees, not a class name). */
const canvasBrightness = () =>
  canvas().evaluate((c: HTMLCanvasElement) => {
    const g = c.getContext("2d") as CanvasRenderingContext2D;
    const { data } = g.getImageData(0, 0, c.width, c.height);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < data.length; i += 4 * 97) {
      if ((data[i + 3] as number) === 0) continue; // outside the photo
      sum += (data[i] as number) + (data[i + 1] as number) + (data[i + 2] as number);
      n += 3;
    }
    return n ? sum / n : 0;
  });

beforeAll(async () => {
  await ensureStudioBuilt();
  const home = tempDir("crealia-e2e-develop-");
  const profile = tempDir("crealia-e2e-develop-profile-");
  temps.push(home, profile);
  photo = path.join(home, "harbour-at-dusk.jpg");
  bigFile = path.join(home, "big-scan.png");
  await Promise.all([makePhoto(photo), makeNoisePng(bigFile)]);
  // Files above 5 MiB go in resumable parts of 5 MiB, so a 12 MiB test file has three.
  host = await startHost({
    home,
    env: {
      CREALIA_AUTH: "accounts",
      CREALIA_PLUGIN_DIRS: pluginDirsWith(home, ["filters"]),
      CREALIA_UPLOAD_RESUMABLE_ABOVE: String(5 * MiB),
      CREALIA_UPLOAD_PART_BYTES: String(5 * MiB),
    },
  });
  context = await openBrowser(profile);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
}, 90_000);

afterAll(async () => {
  await context?.close();
  await host?.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe.sequential("develop a photo, export it, download it", () => {
  test("sign up", async () => {
    await page.goto(`${host.url}/library`);
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Name").fill("Grace Hopper");
    await page.getByLabel("Email").fill("grace@example.com");
    await page.getByLabel("Password").fill("cobol forever and ever");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Your library is empty" }).waitFor();
    expect(await duplicateNavLabels(page)).toEqual([]);
    await shot("library-empty");
  });

  test("upload a photo: its progress shows, then its tile", async () => {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
    await page.getByTestId("upload-input").setInputFiles(photo);
    const bar = page.locator("[data-upload-status=uploading] progress");
    await bar.waitFor({ timeout: 10_000 });
    await expect.poll(async () => Number(await bar.getAttribute("value")), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.locator("[data-upload-status=done]").waitFor({ timeout: 30_000 });
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    const tile = page.locator(".tile", { hasText: "harbour-at-dusk.jpg" });
    await expect.poll(() => tile.locator("img").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    photoId = (await tile.getAttribute("data-asset-id")) ?? "";
    expect(photoId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("open it and develop it in the Develop panel: the preview changes, before/after and undo follow", async () => {
    await page.locator(`.tile[data-asset-id="${photoId}"]`).dblclick();
    await page.waitForURL(/\/editor\//);
    await canvas().waitFor();
    await expect.poll(() => page.locator(".canvas-loading").count()).toBe(0);
    await page.getByRole("tab", { name: "Develop" }).click();
    const exposure = develop().getByLabel("Exposure value", { exact: true });
    await exposure.waitFor();
    // The panel's first preview (no edits yet) has landed when it reports its render time.
    await expect.poll(() => develop().getByRole("status").textContent(), { timeout: 15_000 }).toMatch(/ms$/);
    await expect.poll(() => canvas().getAttribute("data-preview")).toBe("set");
    const original = await canvasBrightness();

    await exposure.fill("1.5");
    await exposure.press("Enter");
    await expect.poll(canvasBrightness, { timeout: 15_000 }).toBeGreaterThan(original + 25);
    const brighter = await canvasBrightness();
    await shot("editor-develop");

    // The studio's before/after shows the original, then the edit again.
    await page.getByRole("button", { name: "Before/after" }).click();
    await expect.poll(() => canvas().getAttribute("data-mode")).toBe("before");
    await expect.poll(canvasBrightness).toBeLessThan(original + 3);
    await page.keyboard.press("\\");
    await expect.poll(() => canvas().getAttribute("data-mode")).toBe("after");
    await expect.poll(canvasBrightness).toBeGreaterThan(brighter - 3);

    // The studio's undo walks the panel's saved steps: the slider and the preview go back.
    const studioUndo = page.getByRole("toolbar", { name: "Editor" }).getByRole("button", { name: "Undo" });
    await expect.poll(() => studioUndo.isEnabled()).toBe(true);
    await studioUndo.click();
    await expect.poll(() => exposure.inputValue()).toBe("0");
    await expect.poll(canvasBrightness).toBeLessThan(original + 3);
    await page.keyboard.press("Control+Shift+Z");
    await expect.poll(() => exposure.inputValue()).toBe("1.5");
    await expect.poll(canvasBrightness).toBeGreaterThan(brighter - 3);
  });

  test("export the edit and download it: a JPEG of the full photo, brighter than the original", async () => {
    await develop().locator("summary", { hasText: "Export" }).click();
    await develop().getByLabel("Format").selectOption("jpeg");
    await develop().getByRole("button", { name: "Export", exact: true }).click();
    const link = develop().getByRole("link", { name: "Download" });
    await link.waitFor({ timeout: 30_000 });
    expect(await develop().locator(".export-result").textContent()).toMatch(/^Exported 2400×1600 JPEG as version 2\./);
    await shot("editor-exported");
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe("harbour-at-dusk (v2).jpg");
    const saved = path.join(temps[0] as string, "downloaded.jpg");
    await download.saveAs(saved);
    const meta = await sharp(saved).metadata();
    expect(meta).toMatchObject({ format: "jpeg", width: 2400, height: 1600 });
    const [before, after] = await Promise.all([meanColour(photo), meanColour(saved)]);
    const lum = (c: number[]) => (c[0] as number) + (c[1] as number) + (c[2] as number);
    expect(lum(after) / 3).toBeGreaterThan(lum(before) / 3 + 25);
  });
});

describe.sequential("a big file goes up in resumable parts", () => {
  const partPuts: Request[] = [];
  const isPart = (r: Request) => r.method() === "PUT" && r.url().includes("/api/blobs/");

  test("one part's request fails: it is sent again and the upload completes", async () => {
    expect(statSync(bigFile).size).toBeGreaterThan(10 * MiB);
    await page.goto(`${host.url}/library`);
    let cut = false;
    await page.route("**/api/blobs/**", async (route) => {
      if (route.request().method() === "PUT") partPuts.push(route.request());
      // The second part's first try loses its connection.
      if (route.request().method() === "PUT" && partPuts.length === 2 && !cut) {
        cut = true;
        return route.abort("connectionreset");
      }
      return route.continue();
    });
    await page.getByTestId("upload-input").setInputFiles(bigFile);
    const row = page.locator("[data-upload-mode=resumable]");
    await expect.poll(() => row.locator(".upload-status").textContent(), { timeout: 15_000 }).toMatch(/part \d of 3/);
    await shot("upload-resumable");
    await page.locator("[data-upload-mode=resumable][data-upload-status=done]").waitFor({ timeout: 60_000 });
    expect(cut).toBe(true);
    // Three parts and one retry of the cut one.
    expect(partPuts).toHaveLength(4);
    await page.unroute("**/api/blobs/**");
    await page.getByRole("button", { name: "Clear finished uploads" }).click();
  });

  test("the connection stays down: the upload fails in words; after a reload, the same file resumes where it stopped", async () => {
    partPuts.length = 0;
    await page.route("**/api/blobs/**", async (route) => {
      if (route.request().method() === "PUT") partPuts.push(route.request());
      return partPuts.length >= 2 ? route.abort("internetdisconnected") : route.continue();
    });
    const resumed = path.join(temps[0] as string, "resumed-scan.png");
    await makeNoisePng(resumed);
    await page.getByTestId("upload-input").setInputFiles(resumed);
    const failed = page.locator("[data-upload-mode=resumable][data-upload-status=failed]");
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.getByRole("alert").textContent()).toBe(
      "Can't reach the Crealia server. Check that it is running and that you are online, then try again. Retry continues where it stopped.",
    );
    await shot("upload-failed");
    await page.unroute("**/api/blobs/**");

    await page.reload();
    partPuts.length = 0;
    page.on("request", (r) => {
      if (isPart(r)) partPuts.push(r);
    });
    await page.getByTestId("upload-input").setInputFiles(resumed);
    await page.getByText("Resumed: 1 of 3 parts had arrived before.").waitFor({ timeout: 15_000 });
    await page.locator("[data-upload-status=done]").waitFor({ timeout: 60_000 });
    expect(partPuts).toHaveLength(2);
    await page.locator(".tile", { hasText: "resumed-scan.png" }).waitFor();
  });
});
