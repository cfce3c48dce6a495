/**
 * The Face panel (ui/face.js, the module the manifest names), mounted in a DOM with a panel SDK
 * whose requests go to a test kernel: every retouch slider, the shape ones included, reaches the
 * retouch job, and the result is committed as a history step.
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createTestKernel, installModel, type TestKernel } from "@crealia/kernel/testing";
import { JSDOM } from "jsdom";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { facesScene } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pluginDir = path.resolve(here, "..");
const filtersStub = path.join(here, "fixtures/filters-stub");
const API = "/api/p/face/v1";

let t: TestKernel;
beforeAll(async () => {
  t = await createTestKernel({ plugins: [filtersStub, pluginDir] });
  for (const id of ["blazeface-front", "blazeface-back", "facemesh"]) await installModel(t, id);
});
afterAll(() => t?.close());

async function until<T>(fn: () => T | undefined | null | false, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("the retouch sliders, eye enlarge, face slim and blemishes included, go to the retouch job; its version is committed", { timeout: 120_000 }, async () => {
  const { image } = await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }]);
  const { assetId } = await t.upload("portrait.jpg", image, { contentType: "image/jpeg" });

  const dom = new JSDOM("<!doctype html><main></main>");
  const element = dom.window.document.querySelector("main") as HTMLElement;
  const sent: { url: string; body: Record<string, unknown> }[] = [];
  const commits: { label: string; params: Record<string, unknown> }[] = [];
  const toasts: string[] = [];
  const sdk = {
    api: {
      base: API,
      async request(method: string, url: string, body: Record<string, unknown>) {
        sent.push({ url, body });
        const res = await t.inject({ method: method as "POST", url, payload: body });
        if (res.statusCode >= 400) throw new Error(res.json().error.message);
        return res.json();
      },
    },
    asset: { current: () => ({ id: assetId, kind: "image" }), subscribe: () => () => {} },
    jobs: {
      // Reports the job once it ended, as the studio's watcher would with its last update.
      watch(jobId: string, fn: (job: unknown) => void) {
        void t.waitForJob(jobId, { timeoutMs: 60_000 }).then(fn);
        return () => {};
      },
      untilEnded: (jobId: string) => t.waitForJob(jobId, { timeoutMs: 60_000 }),
    },
    toast: (message: string) => toasts.push(message),
    editor: { setPreview: () => {}, commit: (label: string, params: Record<string, unknown>) => commits.push({ label, params }) },
  };
  const mod = (await import(pathToFileURL(path.join(pluginDir, "ui", "face.js")).href)) as { mount: (el: HTMLElement, sdk: unknown) => () => void };
  const unmount = mod.mount(element, sdk);

  const sliders = Array.from(element.querySelectorAll<HTMLInputElement>("input[type=range][data-param]"));
  expect(sliders.map((s) => [s.dataset.param, s.value, s.min, s.max])).toEqual([
    ["smoothing", "0.5", "0", "1"],
    ["eyes", "0.3", "0", "1"],
    ["teeth", "0.3", "0", "1"],
    ["eyeEnlarge", "0", "0", "1"],
    ["faceSlim", "0", "0", "1"],
    ["blemishes", "0", "0", "1"],
  ]);
  const slider = (name: string) => sliders.find((s) => s.dataset.param === name) as HTMLInputElement;
  slider("eyeEnlarge").value = "0.4";
  slider("faceSlim").value = "0.3";
  slider("blemishes").value = "0.6";
  (element.querySelector("[data-testid=face-retouch]") as HTMLButtonElement).click();

  await until(() => commits.length > 0 || toasts.length > 0, "the retouch to end");
  // Says what was done: each step whose slider was up, and what blemish removal found (nothing, on a drawing).
  expect(toasts).toEqual([
    "Retouched 1 face: skin smoothed, eyes brightened, teeth whitened, eyes enlarged, face slimmed, no blemishes found. Saved as version 2.",
  ]);
  expect(sent).toEqual([
    {
      url: `${API}/assets/${assetId}/retouch`,
      body: { smoothing: 0.5, eyes: 0.3, teeth: 0.3, eyeEnlarge: 0.4, faceSlim: 0.3, blemishes: 0.6, model: "auto" },
    },
  ]);
  expect(commits).toEqual([
    { label: "Face retouch", params: { smoothing: 0.5, eyes: 0.3, teeth: 0.3, eyeEnlarge: 0.4, faceSlim: 0.3, blemishes: 0.6, version: 2 } },
  ]);
  const jobs = (await t.inject({ method: "GET", url: "/api/jobs?type=face.retouch" })).json().jobs as {
    result: { params: unknown; faces: number; blemishesRemoved: number[] };
  }[];
  expect(jobs.map((j) => j.result.params)).toEqual([{ smoothing: 0.5, eyes: 0.3, teeth: 0.3, eyeEnlarge: 0.4, faceSlim: 0.3, blemishes: 0.6 }]);
  // One count per face; the drawn portrait has no spots to find.
  expect(jobs.map((j) => j.result.blemishesRemoved)).toEqual([[0]]);
  unmount();
  expect(element.textContent).toBe("");
});

test("after detection, the mask picker previews the mask a retouch step works through: lips cover less than skin", { timeout: 120_000 }, async () => {
  const { image } = await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }]);
  const { assetId } = await t.upload("mask-portrait.jpg", image, { contentType: "image/jpeg" });
  const dom = new JSDOM("<!doctype html><main></main>");
  const element = dom.window.document.querySelector("main") as HTMLElement;
  const previews: string[] = [];
  const sdk = {
    api: {
      base: API,
      async request(method: string, url: string, body: Record<string, unknown>) {
        const res = await t.inject({ method: method as "POST", url, payload: body });
        if (res.statusCode >= 400) throw new Error(res.json().error.message);
        return res.json();
      },
    },
    asset: { current: () => ({ id: assetId, kind: "image" }), subscribe: () => () => {} },
    jobs: { watch: () => () => {}, untilEnded: (jobId: string) => t.waitForJob(jobId, { timeoutMs: 60_000 }) },
    toast: () => {},
    editor: { setPreview: (url: string) => previews.push(url), commit: () => {} },
  };
  const mod = (await import(pathToFileURL(path.join(pluginDir, "ui", "face.js")).href)) as { mount: (el: HTMLElement, sdk: unknown) => () => void };
  const unmount = mod.mount(element, sdk);
  const $ = <T extends Element>(sel: string) => element.querySelector(sel) as T;
  $<HTMLButtonElement>("[data-testid=face-detect]").click();
  await until(() => $("[data-testid=face-count]").textContent === "1 face found.", "the detection");

  // The mean of the mask's pixels: how much of the photo a step would touch.
  const coverage = async (kind: string) => {
    $<HTMLSelectElement>("[data-testid=face-mask-kind]").value = kind;
    $<HTMLButtonElement>("[data-testid=face-mask]").click();
    const url = previews.at(-1) as string;
    expect(url).toBe(`${API}/assets/${assetId}/mask.png?kind=${kind}&width=1024`);
    const res = await t.inject({ method: "GET", url });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/png");
    const { data } = await sharp(res.rawPayload).raw().toBuffer({ resolveWithObject: true });
    return data.reduce((sum, v) => sum + v, 0) / data.length;
  };
  const skin = await coverage("skin");
  const lips = await coverage("lips");
  expect(lips).toBeGreaterThan(0);
  expect(lips).toBeLessThan(skin / 3);
  unmount();
});

describe("the retouch toast", () => {
  const summary = async () =>
    ((await import(pathToFileURL(path.join(pluginDir, "ui", "face.js")).href)) as { retouchSummary: (p: object, r: object) => string }).retouchSummary;
  const params = { smoothing: 0.5, eyes: 0, teeth: 0, eyeEnlarge: 0, faceSlim: 0, blemishes: 0.6 };

  test("adds up the blemishes removed over the faces", async () => {
    expect((await summary())(params, { faces: 2, newVersion: 3, blemishesRemoved: [2, 1] })).toBe(
      "Retouched 2 faces: skin smoothed, 3 blemishes removed. Saved as version 3.",
    );
    expect((await summary())(params, { faces: 1, newVersion: 2, blemishesRemoved: [1] })).toBe(
      "Retouched 1 face: skin smoothed, 1 blemish removed. Saved as version 2.",
    );
  });

  test("says nothing of blemishes when their slider was at 0, nor of steps left at 0", async () => {
    expect((await summary())({ ...params, blemishes: 0 }, { faces: 1, newVersion: 2, blemishesRemoved: [0] })).toBe(
      "Retouched 1 face: skin smoothed. Saved as version 2.",
    );
    expect((await summary())({ ...params, smoothing: 0, blemishes: 0 }, { faces: 1, newVersion: 2 })).toBe("Retouched 1 face. Saved as version 2.");
  });
});
