import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ensureStudioBuilt, fixturePlugins, type Host, openBrowser, repoRoot, screenshots, startHost, tempDir } from "./harness.js";

/**
 * The video plugin's timeline page end to end: the real host (PGlite, local disk, in-process
 * jobs; the workspace's plugins/video found by the host) and the built studio in Debian's
 * Chromium. The harness starts the host in a scratch folder, so the workspace's plugins/ is not
 * its own; the video plugin is handed to it through CREALIA_PLUGIN_DIRS (a folder linking to
 * plugins/video only, so work in progress in the other plugins cannot break this test). Media made with ffmpeg's lavfi sources is uploaded through the API, then a person's
 * session: create a project, add clips from the media bin, split at the playhead, add a
 * transition and a title, render a preview and watch its progress to the end.
 */
const exec = promisify(execFile);
const temps: string[] = [];
let host: Host;
let context: BrowserContext;
let page: Page;
const media: Record<string, string> = {};

async function makeMedia(dir: string) {
  const ff = (args: string[]) => exec("/usr/bin/ffmpeg", ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", ...args]);
  const video = (name: string, freq: number) =>
    ff([
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=640x360:rate=25:duration=4",
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=${freq}:duration=4`,
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      "-c:a",
      "aac",
      "-shortest",
      path.join(dir, name),
    ]);
  // Music: a beat every half second over a low hum, so its waveform has something to show.
  const music = ff(["-f", "lavfi", "-i", "aevalsrc='0.8*sin(2*PI*220*t)*exp(-12*mod(t,0.5))+0.05*sin(2*PI*110*t)':s=44100:d=6", path.join(dir, "beat.wav")]);
  await Promise.all([video("city.mp4", 440), video("forest.mp4", 660), music]);
}

/** Uploads a file through the kernel's API and waits for its ingest (thumbnails, proxy). */
async function upload(file: string): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([readFileSync(file)]), path.basename(file));
  const res = await fetch(`${host.url}/api/assets`, { method: "POST", body: form });
  const body = (await res.json()) as { asset: { id: string }; jobId: string };
  expect(res.status, JSON.stringify(body)).toBeLessThan(300);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const job = (await (await fetch(`${host.url}/api/jobs/${body.jobId}`)).json()) as { status: string };
    if (job.status === "succeeded") return body.asset.id;
    if (job.status === "failed" || Date.now() > deadline) throw new Error(`ingest of ${file}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const clips = () => page.locator("[data-clip]");
const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });

beforeAll(async () => {
  const started = Date.now();
  const home = tempDir("crealia-e2e-video-home-");
  temps.push(home);
  await Promise.all([ensureStudioBuilt(), makeMedia(home)]);
  const pluginDir = path.join(home, "plugins");
  mkdirSync(pluginDir);
  symlinkSync(path.join(repoRoot, "plugins/video"), path.join(pluginDir, "video"), "dir");
  host = await startHost({ home, env: { CREALIA_PLUGIN_DIRS: [fixturePlugins, pluginDir].join(path.delimiter) } });
  for (const name of ["city.mp4", "forest.mp4", "beat.wav"]) media[name] = await upload(path.join(home, name));
  const profile = tempDir("crealia-e2e-video-profile-");
  temps.push(profile);
  context = await openBrowser(profile);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
  process.stdout.write(`video e2e setup: ${Date.now() - started} ms\n`);
}, 90_000);

afterAll(async () => {
  await context?.close();
  await host?.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await shot("video-timeline-failed").catch(() => {});
});

describe.sequential("video timeline", () => {
  test("the studio lists the timeline page; it opens on the project list", async () => {
    await page.goto(`${host.url}/library`);
    await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Video timeline" }).click();
    await page.waitForURL(/\/p\/video\/timeline$/);
    const panel = page.locator('[data-panel="video/timeline"]');
    await panel.getByRole("heading", { name: "Video projects" }).waitFor();
  });

  test("creates a project, adds clips from the media bin, splits at the playhead, adds a transition and a title", async () => {
    await page.getByLabel("Project name").fill("E2E promo");
    await page.getByLabel("Aspect").selectOption("16:9");
    await page.getByRole("button", { name: "Create" }).click();
    await expect.poll(() => page.getByTestId("project-title").textContent()).toMatch(/^E2E promo · 16:9 · 1920×1080/);

    const bin = page.getByRole("complementary", { name: "Media" });
    await bin.getByRole("button", { name: "Add city.mp4" }).click();
    await expect.poll(() => clips().count()).toBe(1);
    await bin.getByRole("button", { name: "Add forest.mp4" }).click();
    await expect.poll(() => clips().count()).toBe(2);
    await bin.getByRole("button", { name: "Add beat.wav" }).click();
    await expect.poll(() => clips().count()).toBe(3);
    await expect.poll(() => page.getByTestId("project-title").textContent()).toContain("0:08.0");

    // Select the first video clip, put the playhead at 1.5 s, split.
    const first = page.locator('[data-media="video"]').first();
    await first.click({ position: { x: 10, y: 10 } });
    await expect.poll(() => first.getAttribute("aria-pressed")).toBe("true");
    const split = page.getByRole("button", { name: "Split at playhead" });
    expect(await split.isDisabled()).toBe(true); // the playhead (0) is not inside the clip
    await page.getByLabel("Playhead").fill("1.5");
    await expect.poll(() => page.getByTestId("playhead-time").textContent()).toBe("0:01.5");
    await split.click();
    await expect.poll(() => page.locator('[data-media="video"]').count()).toBe(3);
    const starts = await page.locator('[data-media="video"]').evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
    expect(starts).toEqual([
      expect.stringContaining("0:00.0 to 0:01.5"),
      expect.stringContaining("0:01.5 to 0:04.0"),
      expect.stringContaining("0:04.0 to 0:08.0"),
    ]);

    // A dissolve between the second and the third clip: the timeline gets half a second shorter.
    await page
      .locator('[data-media="video"]')
      .nth(1)
      .click({ position: { x: 10, y: 10 } });
    await page.getByLabel("Transition").selectOption("dissolve");
    await page.getByRole("button", { name: "Add transition" }).click();
    await page.locator('[data-transition="dissolve"]').waitFor();
    await expect.poll(() => page.getByTestId("project-title").textContent()).toContain("0:07.5");

    await page.getByLabel("Playhead").fill("0.5");
    await page.getByLabel("Text to add").fill("Hello Crealia");
    await page.getByRole("button", { name: "Add text" }).click();
    await page.locator('[data-media="text"]', { hasText: "Hello Crealia" }).waitFor();

    // The music clip draws the waveform the plugin computed from its PCM.
    await page.locator('[data-media="audio"] svg[data-waveform] path').waitFor();
    const bars = await page.locator('[data-media="audio"] svg[data-waveform] path').getAttribute("d");
    expect((bars ?? "").split("M").length).toBeGreaterThan(20);

    // Undo takes the title away, redo brings it back.
    await page.getByRole("button", { name: "Undo" }).click();
    await expect.poll(() => page.locator('[data-media="text"]').count()).toBe(0);
    await page.getByRole("button", { name: "Redo" }).click();
    await expect.poll(() => page.locator('[data-media="text"]').count()).toBe(1);
  });

  test("a preview render reports progress and plays when done", async () => {
    const player = page.getByTestId("player");
    await page.getByRole("button", { name: "Preview" }).click();
    const seen: string[] = [];
    await expect
      .poll(
        async () => {
          const label = await page
            .getByTestId("render-progress")
            .textContent({ timeout: 100 })
            .catch(() => null);
          if (label && seen.at(-1) !== label) seen.push(label);
          const status = await player.getAttribute("data-render-status");
          return status === "failed" || status === "cancelled" ? `${status}: ${await player.textContent()}` : status;
        },
        { timeout: 40_000, interval: 100 },
      )
      .toBe("succeeded");
    expect(seen[0]).toMatch(/^\d+%$/);
    const video = player.locator("video");
    await video.waitFor();
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState >= 1 && Math.round(v.duration * 10) / 10)).toBe(7.5);
    await expect.poll(() => player.textContent()).toContain("640×360");
    await page
      .locator('[data-media="video"]')
      .first()
      .click({ position: { x: 10, y: 10 } });
    await page.getByLabel("Playhead").fill("3");
    await shot("video-timeline");
  }, 60_000);
});
