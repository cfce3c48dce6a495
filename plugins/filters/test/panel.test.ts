/**
 * The Develop panel: built to the ES module the manifest names, served by the kernel, mounted in
 * a DOM with a panel SDK whose requests go to a test kernel. Moving a slider renders a preview
 * and releasing it saves a history step.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createTestKernel, type TestKernel } from "@crealia/kernel/testing";
import { build } from "esbuild";
import { JSDOM } from "jsdom";
import { afterAll, beforeAll, expect, test } from "vitest";
import { API, photoJpeg, pluginDir, upload } from "./helpers.js";

let t: TestKernel;
const outfile = path.join(pluginDir, "dist", "ui", "develop.js");

beforeAll(async () => {
  await build({
    entryPoints: [path.join(pluginDir, "src", "ui", "develop.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outfile,
    logLevel: "silent",
  });
  t = await createTestKernel({ plugins: [pluginDir] });
});
afterAll(() => t?.close());

function observable<T>(value: T) {
  const subs = new Set<(v: T) => void>();
  return {
    current: () => value,
    subscribe(fn: (v: T) => void) {
      subs.add(fn);
      fn(value);
      return () => subs.delete(fn);
    },
    set(v: T) {
      value = v;
      for (const fn of subs) fn(v);
    },
  };
}

async function until<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("the kernel serves the panel module and the panel develops a photo live", async () => {
  const served = await t.inject({ method: "GET", url: "/plugins/filters/1.0.0/dist/ui/develop.js" });
  expect(served.statusCode).toBe(200);
  expect(served.headers["content-type"]).toMatch(/javascript/);

  const assetId = await upload(t, await photoJpeg(800, 600));
  const dom = new JSDOM("<!doctype html><main></main>");
  const element = dom.window.document.querySelector("main") as HTMLElement;
  const previews: unknown[] = [];
  const commits: string[] = [];
  const sdk = {
    version: "1.0.0",
    panel: { plugin: "filters", pluginVersion: "1.0.0", id: "develop", slot: "editor.tool", title: "Develop" },
    api: {
      base: API,
      async request(method: string, url: string, body?: unknown) {
        const res = await t.inject({
          method: method as "GET",
          url,
          ...(body === undefined ? {} : { payload: body as object }),
          headers: { accept: "application/json" },
        });
        if (res.statusCode >= 400) throw Object.assign(new Error(res.json().error.message), { code: res.json().error.code });
        return res.statusCode === 204 ? undefined : res.json();
      },
    },
    asset: observable<{ id: string; kind: string } | null>({ id: assetId, kind: "image" }),
    selection: observable<string[]>([]),
    theme: observable("light"),
    jobs: { watch: () => () => {} },
    toast: () => {},
    editor: { setPreview: (image: unknown) => previews.push(image), commit: (label: string) => commits.push(label), history: observable<unknown>(null) },
  };
  const mod = (await import(`${pathToFileURL(outfile).href}?v=${Date.now()}`)) as { mount: (el: HTMLElement, sdk: unknown) => () => void };
  const unmount = mod.mount(element, sdk);

  const exposure = await until(() => element.querySelector<HTMLInputElement>('input[type=range][aria-label="Exposure"]'), "the Exposure slider");
  expect(element.querySelector('input[aria-label="Saturation"]')).not.toBeNull();
  expect(Array.from(element.querySelectorAll("summary")).map((s) => s.textContent)).toEqual([
    "Presets",
    "Basic",
    "Tone curve",
    "HSL / Color",
    "Color grading",
    "Detail",
    "Effects",
    "Crop & geometry",
    "Masks",
    "Export",
  ]);
  expect(exposure.min).toBe("-5");
  await until(() => previews.length > 0, "the first preview");

  const before = previews.length;
  exposure.value = "1";
  exposure.dispatchEvent(new dom.window.Event("input"));
  await until(() => previews.length > before, "a live preview");
  expect(String(previews.at(-1))).toMatch(/^data:image\/jpeg;base64,/);
  exposure.dispatchEvent(new dom.window.Event("change"));
  await until(() => commits.length > 0, "a history step");
  expect(commits[0]).toBe("Exposure +1");
  const now = await until(async () => {
    const r = (await t.inject({ method: "GET", url: `${API}/assets/${assetId}/recipe` })).json();
    return r.revision === 1 ? r : null;
  }, "the saved recipe");
  expect(now.recipe.basic.exposure).toBe(1);

  unmount();
  expect(element.children).toHaveLength(0);
});
