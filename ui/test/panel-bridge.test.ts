import { describe, expect, test, vi } from "vitest";
import { createFrameBridge } from "../src/sdk/frame-bridge.js";
import { frameDocument } from "../src/sdk/frame-host.js";
import { type FrameWindow, frameRuntime } from "../src/sdk/frame-runtime.js";
import { FRAME_PROTOCOL, isAllowedPreview, isAllowedRequest, parseFrameMessage } from "../src/sdk/protocol.js";
import { type JobRecord, type Observable, PANEL_SDK_VERSION, type PanelSdk } from "../src/sdk/types.js";
import { untilJobEnded } from "../src/sdk/until-ended.js";

const P = FRAME_PROTOCOL;

describe("frame message validation", () => {
  test("accepts well-formed messages, typed", () => {
    expect(parseFrameMessage({ protocol: P, type: "ready" })).toEqual({ protocol: P, type: "ready" });
    expect(parseFrameMessage({ protocol: P, type: "resize", height: 120.6 })).toEqual({ protocol: P, type: "resize", height: 121 });
    expect(parseFrameMessage({ protocol: P, type: "call", id: 3, method: "api.request", args: ["GET", "/api/p/x/v1/a"] })).toMatchObject({
      method: "api.request",
    });
    expect(parseFrameMessage({ protocol: P, type: "call", id: 4, method: "toast", args: ["hi", "success"] })).toMatchObject({ args: ["hi", "success"] });
    expect(parseFrameMessage({ protocol: P, type: "call", id: 5, method: "editor.commit", args: ["Exposure", { ev: 1 }] })).toMatchObject({
      method: "editor.commit",
    });
    expect(parseFrameMessage({ protocol: P, type: "call", id: 6, method: "editor.setPreview", args: [new Blob(["x"])] })).not.toBeNull();
  });

  test.each([
    ["not an object", "hello"],
    ["another protocol", { protocol: "other/1", type: "ready" }],
    ["no type", { protocol: P }],
    ["unknown type", { protocol: P, type: "eval" }],
    ["unknown method", { protocol: P, type: "call", id: 1, method: "window.open", args: [] }],
    ["id not an integer", { protocol: P, type: "call", id: "1", method: "toast", args: ["x"] }],
    ["negative id", { protocol: P, type: "call", id: -1, method: "toast", args: ["x"] }],
    ["args not an array", { protocol: P, type: "call", id: 1, method: "toast", args: "x" }],
    ["too many args", { protocol: P, type: "call", id: 1, method: "toast", args: ["a", "info", 1, 2] }],
    ["bad HTTP method", { protocol: P, type: "call", id: 1, method: "api.request", args: ["TRACE", "/api/assets"] }],
    ["path not a string", { protocol: P, type: "call", id: 1, method: "api.request", args: ["GET", 42] }],
    ["empty toast", { protocol: P, type: "call", id: 1, method: "toast", args: ["  "] }],
    ["unknown toast kind", { protocol: P, type: "call", id: 1, method: "toast", args: ["x", "html"] }],
    ["job id with a slash", { protocol: P, type: "call", id: 1, method: "jobs.watch", args: ["../x"] }],
    ["preview from another origin", { protocol: P, type: "call", id: 1, method: "editor.setPreview", args: ["https://evil.example/x.png"] }],
    ["javascript: preview", { protocol: P, type: "call", id: 1, method: "editor.setPreview", args: ["javascript:alert(1)"] }],
    ["empty history label", { protocol: P, type: "call", id: 1, method: "editor.commit", args: ["", {}] }],
    ["negative height", { protocol: P, type: "resize", height: -4 }],
    ["failed without a message", { protocol: P, type: "failed" }],
  ])("refuses %s", (_name, data) => {
    expect(parseFrameMessage(data)).toBeNull();
  });

  test("long texts are cut, huge heights capped", () => {
    const m = parseFrameMessage({ protocol: P, type: "call", id: 1, method: "toast", args: ["x".repeat(2000)] });
    expect((m as { args: [string] }).args[0]).toHaveLength(500);
    expect(parseFrameMessage({ protocol: P, type: "resize", height: 1e9 })).toMatchObject({ height: 10_000 });
  });

  test("a sandboxed panel reaches its own routes and reads assets and jobs, nothing else", () => {
    expect(isAllowedRequest("cutout", "POST", "/api/p/cutout/v1/masks")).toBe(true);
    expect(isAllowedRequest("cutout", "GET", "/api/assets?kind=image")).toBe(true);
    expect(isAllowedRequest("cutout", "GET", "/api/assets/5d7c…/versions")).toBe(true);
    expect(isAllowedRequest("cutout", "GET", "/api/jobs/j1")).toBe(true);
    expect(isAllowedRequest("cutout", "GET", "/api/jobs/events")).toBe(false);
    expect(isAllowedRequest("cutout", "DELETE", "/api/assets/a1")).toBe(false);
    expect(isAllowedRequest("cutout", "POST", "/api/projects")).toBe(false);
    expect(isAllowedRequest("cutout", "GET", "/api/p/filters/v1/recipes")).toBe(false);
    expect(isAllowedRequest("cutout", "GET", "/api/p/cutout-evil/v1/x")).toBe(false);
    expect(isAllowedRequest("cutout", "GET", "/api/tenant/plugins")).toBe(false);
    expect(isAllowedRequest("cutout", "GET", "/api/auth/me")).toBe(false);
    // Escapes from the plugin's prefix.
    expect(isAllowedRequest("cutout", "POST", "/api/p/cutout/../../auth/sign-out")).toBe(false);
    expect(isAllowedRequest("cutout", "POST", "/api/p/cutout/%2e%2e/%2e%2e/tenant/plugins")).toBe(false);
    expect(isAllowedRequest("cutout", "POST", "/api/p/cutout//x")).toBe(false);
    expect(isAllowedRequest("cutout", "GET", "//evil.example/api/assets")).toBe(false);
    expect(isAllowedRequest("cutout", "GET", "https://evil.example/api/assets")).toBe(false);
    expect(isAllowedRequest("cutout", "GET", "/api/p/cutout\\..\\x")).toBe(false);
  });

  test("previews: blobs, same-origin API files and image data URLs", () => {
    expect(isAllowedPreview(null)).toBe(true);
    expect(isAllowedPreview(new Blob(["x"]))).toBe(true);
    expect(isAllowedPreview("/api/assets/a1/files/thumb-1024.webp?version=2")).toBe(true);
    expect(isAllowedPreview("data:image/png;base64,AAAA")).toBe(true);
    expect(isAllowedPreview("data:text/html;base64,AAAA")).toBe(false);
    expect(isAllowedPreview("/api/../etc/passwd")).toBe(false);
  });
});

/** A minimal observable for the fake SDK. */
function value<T>(initial: T): Observable<T> & { set(v: T): void } {
  let v = initial;
  const fns = new Set<(v: T) => void>();
  return {
    current: () => v,
    subscribe(fn) {
      fns.add(fn);
      fn(v);
      return () => fns.delete(fn);
    },
    set(next) {
      v = next;
      for (const fn of fns) fn(next);
    },
  };
}

/** The studio's SDK for one panel, with spies. */
function fakeSdk() {
  const asset = value<unknown>({ id: "a1", name: "beach.jpg" });
  const history = value<unknown>(null);
  const jobWatchers = new Map<string, (job: unknown) => void>();
  const sdk = {
    version: "1.0.0",
    panel: { plugin: "cutout", pluginVersion: "2.1.0", id: "mask", slot: "editor.tool", title: "Cutout" },
    api: { base: "/api/p/cutout/v2", request: vi.fn(async (_m: string, path: string) => ({ echoed: path })) },
    asset,
    selection: value<string[]>(["a1"]),
    theme: value<"light" | "dark">("light"),
    jobs: {
      watch: vi.fn((id: string, fn: (job: unknown) => void) => {
        jobWatchers.set(id, fn);
        return () => jobWatchers.delete(id);
      }),
    },
    toast: vi.fn(),
    editor: { setPreview: vi.fn(), commit: vi.fn(), history },
  };
  return { sdk: sdk as unknown as PanelSdk, spies: sdk, asset, history, jobWatchers };
}

/**
 * Wires the real frame runtime to the real bridge through fake windows that deliver messages
 * asynchronously, with `source`, the way postMessage does between a page and its iframe.
 */
function connect(panelModule: { mount: (el: unknown, sdk: unknown) => unknown }) {
  const fake = fakeSdk();
  const parentWin = { postMessage: (m: unknown) => queueMicrotask(() => void bridge.handle(structuredClone(m))) };
  const frameListeners: ((e: { data: unknown; source: unknown }) => void)[] = [];
  const frameWin: FrameWindow = {
    parent: parentWin,
    addEventListener: (_t, fn) => void frameListeners.push(fn),
  };
  const toFrame = (m: unknown, source: unknown = parentWin) =>
    queueMicrotask(() => {
      for (const fn of frameListeners) fn({ data: structuredClone(m), source });
    });
  const failed = vi.fn();
  const mounted = vi.fn();
  const bridge = createFrameBridge({ sdk: fake.sdk, source: "export function mount() {}", post: (m) => toFrame(m), onFailed: failed, onMounted: mounted });
  frameRuntime(frameWin, { version: PANEL_SDK_VERSION, untilJobEnded, load: async () => panelModule, root: { id: "root" } });
  return { ...fake, bridge, toFrame, failed, mounted };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe("iframe bridge, both ends", () => {
  test("the panel gets the SDK surface: state, API calls, toasts, job updates, editor", async () => {
    let sdk = {} as PanelSdk;
    const c = connect({ mount: (_el, s) => void (sdk = s as PanelSdk) });
    await settle();
    expect(c.mounted).toHaveBeenCalled();
    expect(sdk.panel).toEqual({ plugin: "cutout", pluginVersion: "2.1.0", id: "mask", slot: "editor.tool", title: "Cutout" });
    expect(sdk.api.base).toBe("/api/p/cutout/v2");
    expect(sdk.asset.current()).toEqual({ id: "a1", name: "beach.jpg" });

    await expect(sdk.api.request("GET", "/api/p/cutout/v2/masks")).resolves.toEqual({ echoed: "/api/p/cutout/v2/masks" });
    const refused = (await sdk.api.request("DELETE", "/api/assets/a1").catch((e) => e)) as Error & { code: string };
    expect(refused.code).toBe("KERNEL_FORBIDDEN");
    expect(refused.message).toMatch(/may not call DELETE \/api\/assets\/a1/);
    expect(c.spies.api.request).toHaveBeenCalledTimes(1);

    sdk.toast("done", "success");
    await settle();
    expect(c.spies.toast).toHaveBeenCalledWith("Cutout: done", "success");

    const seen: unknown[] = [];
    sdk.asset.subscribe((a) => seen.push(a));
    c.asset.set({ id: "a2", name: "dune.jpg" });
    await settle();
    expect(seen).toEqual([
      { id: "a1", name: "beach.jpg" },
      { id: "a2", name: "dune.jpg" },
    ]);

    const jobs: unknown[] = [];
    const unwatch = sdk.jobs.watch("job-1", (j) => jobs.push(j));
    await settle();
    c.jobWatchers.get("job-1")?.({ id: "job-1", progress: 0.5 });
    await settle();
    expect(jobs).toEqual([{ id: "job-1", progress: 0.5 }]);
    unwatch();
    await settle();
    expect(c.jobWatchers.has("job-1")).toBe(false);

    const blob = new Blob(["png"], { type: "image/png" });
    sdk.editor?.setPreview(blob);
    sdk.editor?.commit("Remove background", { mask: "m1" });
    await settle();
    expect(c.spies.editor.setPreview).toHaveBeenCalledOnce();
    expect(c.spies.editor.commit).toHaveBeenCalledWith("Remove background", { mask: "m1" });
    const states: unknown[] = [];
    sdk.editor?.history.subscribe((s) => states.push(s));
    c.history.set({ mask: "m0" });
    await settle();
    expect(states).toEqual([null, { mask: "m0" }]);
  });

  test("jobs.untilEnded in the frame: progress on the way, the ended record, then the watch is dropped", async () => {
    let sdk = {} as PanelSdk;
    const c = connect({ mount: (_el, s) => void (sdk = s as PanelSdk) });
    await settle();
    expect(sdk.version).toBe(PANEL_SDK_VERSION);
    const progress: [number, string][] = [];
    const ended = sdk.jobs.untilEnded("job-7", (p, job) => progress.push([p, job.status]));
    await settle();
    const update = c.jobWatchers.get("job-7");
    update?.({ id: "job-7", status: "running", progress: 0.25 });
    update?.({ id: "job-7", status: "running", progress: 0.75 });
    update?.({ id: "job-7", status: "failed", progress: 0.75, error: { code: "X_BROKE", message: "the model ran out of memory" } });
    await expect(ended).resolves.toMatchObject({ id: "job-7", status: "failed", error: { message: "the model ran out of memory" } });
    expect(progress).toEqual([
      [0.25, "running"],
      [0.75, "running"],
      [0.75, "failed"],
    ]);
    await settle();
    expect(c.jobWatchers.has("job-7")).toBe(false);
  });

  test("the frame ignores messages that don't come from the studio", async () => {
    let sdk = {} as PanelSdk;
    const c = connect({ mount: (_el, s) => void (sdk = s as PanelSdk) });
    await settle();
    c.toFrame({ protocol: P, type: "event", topic: "asset", data: { id: "forged" } }, { postMessage() {} });
    await settle();
    expect(sdk.asset.current()).toEqual({ id: "a1", name: "beach.jpg" });
  });

  test("a module without mount, or one that throws, is reported in words", async () => {
    const c = connect({} as { mount: () => unknown });
    await settle();
    expect(c.failed).toHaveBeenCalledWith("the panel module does not export mount(element, sdk)");
    const d = connect({
      mount: () => {
        throw new Error("canvas unsupported");
      },
    });
    await settle();
    expect(d.failed).toHaveBeenCalledWith("canvas unsupported");
  });

  test("after dispose the studio stops answering and unsubscribes", async () => {
    let sdk = {} as PanelSdk;
    const c = connect({ mount: (_el, s) => void (sdk = s as PanelSdk) });
    await settle();
    c.bridge.dispose();
    const pending = sdk.api.request("GET", "/api/p/cutout/v2/x");
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await settle();
    expect(settled).toBe(false);
    expect(c.spies.api.request).not.toHaveBeenCalled();
  });

  test("the frame document inlines the runtime and nothing from the studio's origin", () => {
    const html = frameDocument();
    expect(html).toContain("crealia.panel/1");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toContain("</script><script");
  });

  test("the frame document's script starts the runtime with the SDK version and the panel form styles", () => {
    const html = frameDocument();
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    for (const rule of [".panel-form {", ".panel-field {", ".panel-actions {", ".panel-note {"]) expect(style).toContain(rule);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? "";
    // Run it as the frame would, in a fake window: it must parse, say "ready", and pass the version on.
    const sent: unknown[] = [];
    const listeners: ((e: { data: unknown; source: unknown }) => void)[] = [];
    const win = { parent: { postMessage: (m: unknown) => sent.push(m) }, addEventListener: (_t: string, fn: (typeof listeners)[number]) => listeners.push(fn) };
    new Function("window", script)(win);
    expect(sent).toEqual([{ protocol: P, type: "ready" }]);
    expect(script).toContain(JSON.stringify(PANEL_SDK_VERSION));
    expect(listeners).toHaveLength(1);
  });
});

describe("jobs.untilEnded (one implementation for both kinds of panel)", () => {
  /** A studio-like `watch`: reports a job it knows at once, before returning its unsubscribe function. */
  function studioWatch(known?: Partial<JobRecord>) {
    const fns = new Map<string, (job: JobRecord) => void>();
    const unsubscribed: string[] = [];
    const watch = (jobId: string, fn: (job: JobRecord) => void) => {
      fns.set(jobId, fn);
      if (known) fn({ id: jobId, ...known } as JobRecord);
      return () => {
        fns.delete(jobId);
        unsubscribed.push(jobId);
      };
    };
    const push = (jobId: string, job: Partial<JobRecord>) => fns.get(jobId)?.({ id: jobId, ...job } as JobRecord);
    return { watch, push, unsubscribed, watching: () => [...fns.keys()] };
  }

  test("resolves with the succeeded record after the progress updates, and stops watching", async () => {
    const w = studioWatch();
    const seen: number[] = [];
    const ended = untilJobEnded(w.watch, "j1", (p) => seen.push(p));
    w.push("j1", { status: "queued", progress: 0 });
    w.push("j1", { status: "running", progress: 0.5 });
    w.push("j1", { status: "succeeded", progress: 1, result: { newVersion: 3 } });
    w.push("j1", { status: "running", progress: 0.1 });
    await expect(ended).resolves.toMatchObject({ status: "succeeded", result: { newVersion: 3 } });
    expect(seen).toEqual([0, 0.5, 1]);
    expect(w.unsubscribed).toEqual(["j1"]);
  });

  test("a job that had already ended when watched resolves too, and its watch is still dropped", async () => {
    const w = studioWatch({ status: "cancelled", progress: 0.2 });
    await expect(untilJobEnded(w.watch, "j2")).resolves.toMatchObject({ id: "j2", status: "cancelled" });
    await Promise.resolve();
    expect(w.unsubscribed).toEqual(["j2"]);
    expect(w.watching()).toEqual([]);
  });

  test("a failed job resolves (never rejects) with its error, for the panel to put in words", async () => {
    const w = studioWatch();
    const ended = untilJobEnded(w.watch, "j3");
    w.push("j3", { status: "failed", progress: 0.4, error: { code: "KERNEL_MODEL_NOT_INSTALLED", message: "run crealia models fetch isnet-small" } });
    await expect(ended).resolves.toMatchObject({ status: "failed", error: { code: "KERNEL_MODEL_NOT_INSTALLED" } });
  });
});
