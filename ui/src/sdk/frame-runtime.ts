import type { untilJobEnded } from "./until-ended.js";

/**
 * What runs inside a sandboxed panel frame: it builds the same `PanelSdk` surface a
 * first-party panel gets, backed by postMessage calls to the studio, then imports the panel's
 * module (handed over as text, loaded from a blob URL made inside the frame) and mounts it.
 *
 * The studio inlines this function into the frame's document with `Function#toString`, so it
 * must stay self-contained: no imports, no references to anything outside its body.
 */

/** The parts of a window the runtime uses (a real frame's `window`, or a fake in tests). */
export interface FrameWindow {
  parent: { postMessage(message: unknown, targetOrigin: string): void };
  addEventListener(type: "message", fn: (event: { data: unknown; source: unknown }) => void): void;
}

export interface FrameRuntimeOptions {
  /** The SDK version the panel sees (`PANEL_SDK_VERSION`). */
  version: string;
  /** `sdk.jobs.untilEnded`'s implementation, shared with first-party panels (inlined beside this runtime). */
  untilJobEnded: typeof untilJobEnded;
  /** Loads the panel module from its source text; default: import() of a blob URL. */
  load?: (source: string) => Promise<{ mount: (element: unknown, sdk: unknown) => unknown }>;
  /** The element to mount into; default: `document.getElementById("root")`. */
  root?: unknown;
}

export function frameRuntime(win: FrameWindow, options: FrameRuntimeOptions): void {
  const PROTOCOL = "crealia.panel/1";
  const post = (message: Record<string, unknown>) => win.parent.postMessage({ protocol: PROTOCOL, ...message }, "*");
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners: Record<string, Set<(v: unknown) => void>> = { asset: new Set(), selection: new Set(), theme: new Set(), history: new Set() };
  const state: Record<string, unknown> = { asset: null, selection: [], theme: "light", history: null };
  const jobWatchers = new Map<string, Set<(job: unknown) => void>>();
  let mounted = false;

  const call = (method: string, args: unknown[]) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      post({ type: "call", id, method, args });
    });

  const observable = (topic: string) => ({
    current: () => state[topic],
    subscribe(fn: (v: unknown) => void) {
      const set = listeners[topic] as Set<(v: unknown) => void>;
      set.add(fn);
      fn(state[topic]);
      return () => void set.delete(fn);
    },
  });

  const watch = (jobId: string, fn: (job: unknown) => void) => {
    let set = jobWatchers.get(jobId);
    if (!set) {
      set = new Set();
      jobWatchers.set(jobId, set);
      void call("jobs.watch", [jobId]).catch(() => {});
    }
    set.add(fn);
    return () => {
      const s = jobWatchers.get(jobId);
      if (!s) return;
      s.delete(fn);
      if (!s.size) {
        jobWatchers.delete(jobId);
        void call("jobs.unwatch", [jobId]).catch(() => {});
      }
    };
  };

  const buildSdk = (init: Record<string, unknown>) => {
    const panel = init.panel as Record<string, unknown>;
    return {
      version: options.version,
      panel,
      api: {
        base: init.base,
        request: (method: string, path: string, body?: unknown) => call("api.request", body === undefined ? [method, path] : [method, path, body]),
      },
      asset: observable("asset"),
      selection: observable("selection"),
      theme: observable("theme"),
      jobs: {
        watch,
        untilEnded: (jobId: string, onProgress?: Parameters<typeof untilJobEnded>[2]) =>
          options.untilJobEnded(watch as Parameters<typeof untilJobEnded>[0], jobId, onProgress),
      },
      toast: (message: string, kind?: string) => void call("toast", kind === undefined ? [message] : [message, kind]).catch(() => {}),
      editor: init.editor
        ? {
            setPreview: (image: unknown) => void call("editor.setPreview", [image]).catch(() => {}),
            commit: (label: string, s: unknown) => void call("editor.commit", [label, s]).catch(() => {}),
            history: observable("history"),
          }
        : null,
    };
  };

  const defaultLoad = async (source: string) => {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    try {
      // Through Function so no bundler rewrites this import() when the studio is built.
      const importer = new Function("u", "return import(u)") as (u: string) => Promise<{ mount: (element: unknown, sdk: unknown) => unknown }>;
      return await importer(url);
    } finally {
      URL.revokeObjectURL(url);
    }
  };

  const start = async (init: Record<string, unknown>) => {
    if (mounted) return;
    mounted = true;
    const initial = (init.state ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(state)) if (key in initial) state[key] = initial[key];
    try {
      const mod = await (options.load ?? defaultLoad)(String(init.source));
      if (!mod || typeof mod.mount !== "function") throw new Error("the panel module does not export mount(element, sdk)");
      const root = options.root ?? (globalThis as unknown as { document: { getElementById(id: string): unknown } }).document.getElementById("root");
      await mod.mount(root, buildSdk(init));
      post({ type: "mounted" });
      const RO = (globalThis as unknown as { ResizeObserver?: new (cb: () => void) => { observe(el: unknown): void } }).ResizeObserver;
      const body = (globalThis as unknown as { document?: { body?: { scrollHeight: number } } }).document?.body;
      if (RO && body) new RO(() => post({ type: "resize", height: body.scrollHeight })).observe(body);
    } catch (err) {
      post({ type: "failed", message: String((err as Error)?.message ?? err) });
    }
  };

  win.addEventListener("message", (event) => {
    // Only the studio that embeds this frame may talk to it.
    if (event.source !== win.parent) return;
    const data = event.data as Record<string, unknown> | null;
    if (!data || typeof data !== "object" || data.protocol !== PROTOCOL) return;
    if (data.type === "init") void start(data);
    else if (data.type === "result") {
      const p = pending.get(data.id as number);
      if (!p) return;
      pending.delete(data.id as number);
      if (data.ok) p.resolve(data.value);
      else {
        const e = (data.error ?? {}) as { code?: string; message?: string };
        p.reject(Object.assign(new Error(e.message ?? "the studio refused the call"), { code: e.code }));
      }
    } else if (data.type === "event") {
      const topic = data.topic as string;
      if (topic === "job") {
        const job = data.data as { id?: string };
        for (const fn of jobWatchers.get(String(job?.id)) ?? []) fn(job);
        return;
      }
      if (!(topic in state)) return;
      state[topic] = data.data;
      for (const fn of listeners[topic] ?? []) fn(data.data);
    }
  });
  post({ type: "ready" });
}
