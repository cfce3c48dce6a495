/**
 * The timeline panel (ui/timeline.js) mounted in a DOM, its requests going to a test kernel with
 * the video plugin: trimming a clip's left edge and editing a title go through the plugin's
 * commands and come back with undo.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, type TestKernel } from "@crealia/kernel/testing";
import { JSDOM } from "jsdom";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { headTrim, mount, textPatch } from "../ui/timeline.js";
import { makeClip } from "./media.js";

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const api = "/api/p/video/v1";

async function until<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("panel logic", () => {
  const video = { id: "v", media: "video", start: 2, in: 1, out: 3, speed: 1 };
  const title = { id: "t", media: "text", start: 1, in: 0, out: 2, speed: 1 };

  test("a left-edge drag is a trim of the in point (media) or of the start (stills), on frames, end fixed", () => {
    expect(headTrim(video, 0.52, 25)).toEqual({ type: "trimClip", clipId: "v", in: 1.52 });
    expect(headTrim({ ...video, speed: 2 }, 0.25, 25)).toEqual({ type: "trimClip", clipId: "v", in: 1.48 }); // 2.25 s is between frames: 2.24
    // Not past the source's first frame, nor past the clip's end less a frame.
    expect(headTrim(video, -5, 25)).toEqual({ type: "trimClip", clipId: "v", in: 0 });
    expect(headTrim(video, 10, 25)).toEqual({ type: "trimClip", clipId: "v", in: 2.96 });
    expect(headTrim(title, 0.51, 25)).toEqual({ type: "trimClip", clipId: "t", start: 1.52 });
    expect(headTrim(title, -3, 25)).toEqual({ type: "trimClip", clipId: "t", start: 0 });
    expect(headTrim(title, 0.001, 25)).toBeNull();
  });

  test("the text editor sends only what changed, numbers as numbers", () => {
    const current = {
      content: "Hi",
      font: "DejaVu Sans",
      size: 48,
      color: "white",
      strokeColor: "black",
      strokeWidth: 2,
      x: 0.5,
      y: 0.5,
      animIn: "none",
      animOut: "none",
    };
    expect(textPatch(current, { ...current, size: "48", x: "0.5" })).toBeNull();
    expect(textPatch(current, { ...current, content: "Sale!", size: "72", color: "#ffcc00", animOut: "fade" })).toEqual({
      text: { content: "Sale!", size: 72, color: "#ffcc00", animOut: "fade" },
    });
  });
});

describe("mounted on a test kernel", () => {
  let t: TestKernel;
  let dir: string;
  let dom: JSDOM;
  const toasts: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "video-panel-"));
    const clip = await makeClip(dir, "clip.mp4", 3);
    t = await createTestKernel({ plugins: [pluginDir] });
    await t.upload("clip.mp4", readFileSync(clip), { contentType: "video/mp4", timeoutMs: 20_000 });
    dom = new JSDOM("<!doctype html><main></main>");
    // The panel builds its DOM with the page's document, as the studio gives it.
    (globalThis as { document?: Document }).document = dom.window.document;
  }, 60_000);
  afterAll(async () => {
    delete (globalThis as { document?: Document }).document;
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("dragging a clip's left edge trims its head; a selected title is edited, validated and undone", async () => {
    const assetId = (await t.inject({ method: "GET", url: "/api/assets?limit=10" })).json().assets[0].id as string;
    const created = (await t.inject({ method: "POST", url: `${api}/projects`, payload: { name: "Panel", aspect: "16:9", shortSide: 90, fps: 25 } })).json();
    const [main, text] = created.doc.tracks.map((x: { id: string }) => x.id);
    await t.inject({
      method: "POST",
      url: `${api}/projects/${created.id}/commands`,
      payload: {
        commands: [
          { type: "addClip", trackId: main, assetId, in: 0, out: 3 },
          { type: "addClip", trackId: text, text: { content: "Hello", animIn: "fade" }, start: 0.5, duration: 2 },
        ],
      },
    });
    const doc = async () => (await t.inject({ method: "GET", url: `${api}/projects/${created.id}` })).json();

    const element = dom.window.document.querySelector("main") as HTMLElement;
    const sdk = {
      api: {
        base: api,
        async request(method: string, url: string, body?: unknown) {
          const res = await t.inject({ method: method as "GET", url, ...(body === undefined ? {} : { payload: body as object }) });
          if (res.statusCode >= 400) throw Object.assign(new Error(res.json().error.message), { code: res.json().error.code });
          return res.statusCode === 204 ? undefined : res.json();
        },
      },
      jobs: { watch: () => () => {} },
      toast: (message: string) => toasts.push(message),
    };
    const unmount = mount(element, sdk);
    const link = await until(() => [...element.querySelectorAll("a")].find((a) => a.textContent?.startsWith("Panel")), "the project list");
    link.dispatchEvent(new dom.window.MouseEvent("click", { bubbles: true, cancelable: true }));
    const clipEl = (media: string) => element.querySelector<HTMLElement>(`[data-media="${media}"]`);
    const videoEl = await until(() => clipEl("video"), "the video clip");
    // Pixels per second, from how the panel laid the 3 s clip out.
    const pps = Number.parseFloat(videoEl.style.width) / 3;
    const drag = (target: Element, dx: number) => {
      target.dispatchEvent(new dom.window.MouseEvent("pointerdown", { bubbles: true, clientX: 100 }));
      target.dispatchEvent(new dom.window.MouseEvent("pointermove", { bubbles: true, clientX: 100 + dx }));
      target.dispatchEvent(new dom.window.MouseEvent("pointerup", { bubbles: true, clientX: 100 + dx }));
    };

    // The left edge dragged 1 s right: in 0 → 1, start 0 → 1, the out point (3 s) kept.
    drag(videoEl.querySelector('[data-trim="in"]') as Element, pps);
    await until(async () => (await doc()).revision === 2, "the trim");
    expect((await doc()).doc.tracks[0].clips[0]).toMatchObject({ start: 1, in: 1, out: 3 });

    // Select the title: the editor shows its values.
    drag(await until(() => clipEl("text"), "the text clip"), 0);
    const form = await until(() => element.querySelector<HTMLFormElement>('[data-testid="text-editor"]'), "the text editor");
    const input = (name: string) => form.querySelector(`[name="${name}"]`) as HTMLInputElement | HTMLSelectElement;
    expect([input("content").value, input("size").value, input("animIn").value, input("font").value]).toEqual(["Hello", "48", "fade", "DejaVu Sans"]);
    const change = (name: string, value: string) => {
      const el = input(name);
      el.value = value;
      el.dispatchEvent(new dom.window.Event(el.tagName === "SELECT" ? "change" : "input", { bubbles: true }));
    };
    change("content", "Sale!");
    change("size", "90");
    change("font", "DejaVu Serif");
    change("color", "#ffd43b");
    change("strokeWidth", "5");
    change("y", "0.8");
    change("animOut", "slide-up");
    form.dispatchEvent(new dom.window.Event("submit", { bubbles: true, cancelable: true }));
    await until(async () => (await doc()).revision === 3, "the text edit");
    expect((await doc()).doc.tracks[1].clips[0].text).toMatchObject({
      content: "Sale!",
      size: 90,
      font: "DejaVu Serif",
      color: "#ffd43b",
      strokeWidth: 5,
      x: 0.5,
      y: 0.8,
      animIn: "fade",
      animOut: "slide-up",
    });

    // A value the plugin refuses: the reason is shown, nothing is saved, the draft stays to fix.
    const form2 = await until(() => element.querySelector<HTMLFormElement>('[data-testid="text-editor"]'), "the editor again");
    const size = form2.querySelector('[name="size"]') as HTMLInputElement;
    size.value = "1000";
    size.dispatchEvent(new dom.window.Event("input", { bubbles: true }));
    form2.dispatchEvent(new dom.window.Event("submit", { bubbles: true, cancelable: true }));
    await until(() => toasts.length > 0, "the refusal");
    expect(toasts.at(-1)).toMatch(/size must be ≤ 400/);
    expect((await doc()).revision).toBe(3);
    expect((element.querySelector('[data-testid="text-editor"] [name="size"]') as HTMLInputElement).value).toBe("1000");

    // Undo brings the old title back into the editor.
    const undo = [...element.querySelectorAll("button")].find((b) => b.textContent === "Undo") as HTMLButtonElement;
    undo.dispatchEvent(new dom.window.MouseEvent("click", { bubbles: true }));
    await until(
      () => (element.querySelector('[data-testid="text-editor"] [name="content"]') as HTMLInputElement | null)?.value === "Hello",
      "the undone title",
    );
    expect((await doc()).doc.tracks[1].clips[0].text).toMatchObject({ content: "Hello", size: 48 });

    unmount();
    expect(element.children).toHaveLength(0);
  });
});
