/**
 * The Develop panel (slot `editor.tool`): Lightroom-style groups of sliders built from the
 * plugin's own parameter table (`GET /recipe-schema`), a tone-curve editor, presets, auto, crop
 * and geometry, masks, export, a histogram and live previews while a slider moves.
 *
 * A plain ES module with no framework and no imports at run time (only types from the studio's
 * panel SDK), built to `dist/ui/develop.js`. It uses `element.ownerDocument`, never globals, so
 * it runs in a sandboxed frame, in the studio, or in a test's DOM alike.
 *
 * Previews: while a slider moves, at most one preview request is in flight; the newest state
 * waits and goes next (older ones are dropped), so dragging never queues up renders. Releasing
 * a slider saves the recipe (a server-side history step) and records the step in the editor's
 * history, so the studio's undo/redo walks the same steps.
 */
import type { Asset, PanelSdk, Unmount } from "@crealia/ui/sdk";

type Json = Record<string, unknown>;
interface Param {
  min: number;
  max: number;
  default: number;
  step: number;
  label: string;
  unit?: string;
}
interface Table {
  basic: Record<string, Param>;
  presence: Record<string, Param>;
  hsl: { bands: string[]; params: Record<string, Param> };
  colorGrading: { wheels: string[]; wheel: Record<string, Param>; params: Record<string, Param> };
  toneCurve: { channels: string[]; maxPoints: number };
  detail: { sharpening: Record<string, Param>; noiseReduction: Record<string, Param> };
  effects: { vignette: Record<string, Param>; grain: Record<string, Param> };
  geometry: { straighten: Param; rotations: number[]; aspects: string[] };
  local: { params: Record<string, Param>; amount: Param; feather: Param };
}
interface State {
  assetId: string;
  revision: number;
  head: number;
  canUndo: boolean;
  canRedo: boolean;
  recipe: Json;
}
/** What a `filters.export` job returns (service.ts ExportResult), the fields the panel shows. */
interface ExportResult {
  assetId: string;
  version?: number;
  newAssetId?: string;
  format: string;
  width: number;
  height: number;
}
interface PreviewAnswer {
  image: string;
  histogram: { red: number[]; green: number[]; blue: number[]; luma: number[] };
  warnings: string[];
}

const PREVIEW_SIZE = 1440;
const STYLE = `
.fd{font:12px/1.4 system-ui,sans-serif;display:flex;flex-direction:column;gap:6px}
.fd header{display:flex;flex-wrap:wrap;gap:4px;align-items:center}
.fd button{font:inherit;padding:2px 8px}
.fd details{border-top:1px solid #8884;padding:4px 0}
.fd summary{cursor:pointer;font-weight:600}
.fd h4{margin:6px 0 2px;font-size:11px;text-transform:uppercase;opacity:.7}
.fd .row{display:grid;grid-template-columns:6.5em minmax(0,1fr) 4.5em;gap:6px;align-items:center}
.fd .row input[type=number]{width:100%;min-width:0;box-sizing:border-box;padding:2px 4px}
.fd .row select,.fd .row input[type=text]{width:100%;min-width:0;box-sizing:border-box}
.fd .export-result{margin:4px 0}
.fd .tabs{display:flex;gap:2px;margin:4px 0}
.fd .tabs button[aria-pressed=true]{font-weight:700}
.fd canvas{width:100%;background:#111;border-radius:3px}
.fd .status{opacity:.7;margin-left:auto}
.fd .mask{border:1px solid #8884;padding:4px;margin:4px 0;border-radius:3px}
`;

export function mount(element: HTMLElement, sdk: PanelSdk): Unmount {
  const doc = element.ownerDocument;
  const win = doc.defaultView as Window & typeof globalThis;
  const base = sdk.api.base;
  const cleanups: (() => void)[] = [];
  let table: Table | null = null;
  let state: State | null = null;
  let asset: Asset | null = null;
  let before = false;
  let lastImage: string | null = null;
  /** Preview scheduling: the newest wanted recipe, and whether a request is out. */
  let wanted: Json | null = null;
  let inFlight = false;

  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, unknown>> = {}, ...children: (Node | string | null)[]) => {
    const node = doc.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null) continue;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v as EventListener);
      else if (k === "text") node.textContent = String(v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null) node.append(c);
    return node;
  };

  const root = el("div", { class: "fd", role: "region", "aria-label": "Develop" });
  root.append(el("style", { text: STYLE }));
  const status = el("span", { class: "status", role: "status", "aria-live": "polite" });
  const body = el("div");
  root.append(body);
  element.append(root);

  const setStatus = (text: string) => {
    status.textContent = text;
  };

  async function request<T>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, payload?: unknown): Promise<T> {
    return sdk.api.request<T>(method, `${base}${path}`, payload);
  }

  const get = (path: string): unknown => path.split(".").reduce<unknown>((o, k) => (o as Json | undefined)?.[k], state?.recipe);
  const set = (path: string, value: unknown) => {
    if (!state) return;
    const keys = path.split(".");
    let o = state.recipe as Json;
    for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Json;
    o[keys[keys.length - 1] as string] = value;
  };

  // ---- previews and saving ----
  function schedulePreview() {
    if (!state || !asset) return;
    wanted = structuredClone(state.recipe);
    void pump();
  }

  async function pump() {
    if (inFlight || !wanted || !asset) return;
    const recipe = wanted;
    wanted = null;
    inFlight = true;
    const started = win.performance.now();
    try {
      const answer = await request<PreviewAnswer>("POST", `/assets/${asset.id}/preview`, { recipe, size: PREVIEW_SIZE });
      lastImage = answer.image;
      if (!before) sdk.editor?.setPreview(answer.image);
      drawHistogram(answer.histogram);
      setStatus(answer.warnings.length ? answer.warnings.join("; ") : `${Math.round(win.performance.now() - started)} ms`);
    } catch (err) {
      setStatus((err as Error).message);
    } finally {
      inFlight = false;
      if (wanted) void pump();
    }
  }

  async function save(label: string) {
    if (!state || !asset) return;
    try {
      const next = await request<State>("PUT", `/assets/${asset.id}/recipe`, { recipe: state.recipe, label, baseRevision: state.revision });
      adopt(next, false);
      record(label);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "FILTERS_REVISION_CONFLICT") {
        sdk.toast("The photo was changed elsewhere; reloaded its settings.", "info");
        await load();
      } else sdk.toast((err as Error).message, "error");
    }
  }

  function record(label: string) {
    if (!state || !sdk.editor) return;
    sdk.editor.commit(label, { filters: { revision: state.revision } });
  }

  function adopt(next: State, rerender = true) {
    state = next;
    if (rerender) render();
    undoButton.disabled = !next.canUndo;
    redoButton.disabled = !next.canRedo;
    schedulePreview();
  }

  async function load() {
    if (!asset) return;
    setStatus("Loading…");
    adopt(await request<State>("GET", `/assets/${asset.id}/recipe`));
    setStatus("");
  }

  async function step(direction: "undo" | "redo") {
    if (!asset) return;
    try {
      adopt(await request<State>("POST", `/assets/${asset.id}/recipe/${direction}`));
    } catch (err) {
      setStatus((err as Error).message);
    }
  }

  // ---- controls ----
  function slider(path: string, p: Param, label = p.label) {
    const value = () => Number(get(path) ?? p.default);
    const range = el("input", { type: "range", min: p.min, max: p.max, step: p.step, value: value(), "aria-label": label }) as HTMLInputElement;
    const number = el("input", { type: "number", min: p.min, max: p.max, step: p.step, value: value(), "aria-label": `${label} value` }) as HTMLInputElement;
    const apply = (v: number, commit: boolean) => {
      const clamped = Math.min(p.max, Math.max(p.min, Number.isFinite(v) ? v : p.default));
      set(path, clamped);
      range.value = String(clamped);
      number.value = String(clamped);
      schedulePreview();
      if (commit) void save(`${label} ${clamped > p.default ? "+" : ""}${clamped}`);
    };
    range.addEventListener("input", () => apply(Number(range.value), false));
    range.addEventListener("change", () => apply(Number(range.value), true));
    range.addEventListener("dblclick", () => apply(p.default, true));
    number.addEventListener("change", () => apply(Number(number.value), true));
    return el("div", { class: "row" }, el("label", { text: label }), range, number);
  }

  const group = (title: string, open: boolean, ...children: Node[]) => {
    const d = el("details", open ? { open: "" } : {}, el("summary", { text: title }), ...children);
    return d;
  };
  const heading = (text: string) => el("h4", { text });
  const sliders = (prefix: string, params: Record<string, Param>) => Object.entries(params).map(([k, p]) => slider(`${prefix}.${k}`, p));

  function tabs(names: string[], current: () => string, onPick: (n: string) => void) {
    const bar = el("div", { class: "tabs", role: "tablist" });
    for (const n of names) {
      const b = el("button", { type: "button", role: "tab", "aria-pressed": String(n === current()), text: n, onclick: () => onPick(n) });
      bar.append(b);
    }
    return bar;
  }

  let hslMode = "saturation";
  let wheel = "shadows";
  let curveChannel = "rgb";

  function hslSection(t: Table) {
    const box = el("div");
    const draw = () => {
      box.replaceChildren(
        tabs(
          Object.keys(t.hsl.params),
          () => hslMode,
          (n) => {
            hslMode = n;
            draw();
          },
        ),
        ...t.hsl.bands.map((b) => slider(`hsl.${b}.${hslMode}`, t.hsl.params[hslMode] as Param, b)),
      );
    };
    draw();
    return box;
  }

  function gradingSection(t: Table) {
    const box = el("div");
    const draw = () => {
      box.replaceChildren(
        tabs(
          t.colorGrading.wheels,
          () => wheel,
          (n) => {
            wheel = n;
            draw();
          },
        ),
        ...sliders(`colorGrading.${wheel}`, t.colorGrading.wheel),
        ...sliders("colorGrading", t.colorGrading.params),
      );
    };
    draw();
    return box;
  }

  function curveSection(t: Table) {
    const box = el("div");
    const canvas = el("canvas", { width: 256, height: 256, "aria-label": "Tone curve: drag points, double-click to add or remove" }) as HTMLCanvasElement;
    const points = (): [number, number][] =>
      (get(`toneCurve.${curveChannel}`) as [number, number][] | undefined) ?? [
        [0, 0],
        [1, 1],
      ];
    const paint = () => {
      const g = canvas.getContext?.("2d");
      if (!g) return;
      g.clearRect(0, 0, 256, 256);
      g.strokeStyle = "#444";
      for (let i = 1; i < 4; i++) {
        g.beginPath();
        g.moveTo(i * 64, 0);
        g.lineTo(i * 64, 256);
        g.moveTo(0, i * 64);
        g.lineTo(256, i * 64);
        g.stroke();
      }
      const pts = points();
      g.strokeStyle = curveChannel === "rgb" ? "#ddd" : curveChannel === "red" ? "#f55" : curveChannel === "green" ? "#5d5" : "#58f";
      g.beginPath();
      for (const [i, [x, y]] of pts.entries()) {
        if (i) g.lineTo(x * 255, 255 - y * 255);
        else g.moveTo(x * 255, 255 - y * 255);
      }
      g.stroke();
      g.fillStyle = g.strokeStyle;
      for (const [x, y] of pts) g.fillRect(x * 255 - 3, 252 - y * 255, 6, 6);
    };
    const at = (e: MouseEvent): [number, number] => {
      const r = canvas.getBoundingClientRect();
      const w = r.width || 256;
      const h = r.height || 256;
      return [Math.min(1, Math.max(0, (e.clientX - r.left) / w)), Math.min(1, Math.max(0, 1 - (e.clientY - r.top) / h))];
    };
    let dragging = -1;
    canvas.addEventListener("pointerdown", (e) => {
      const [x, y] = at(e);
      dragging = points().findIndex(([px, py]) => Math.abs(px - x) < 0.04 && Math.abs(py - y) < 0.06);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (dragging < 0) return;
      const pts = points().map((p) => [...p] as [number, number]);
      const [x, y] = at(e);
      const lo = dragging === 0 ? 0 : (pts[dragging - 1] as [number, number])[0] + 0.01;
      const hi = dragging === pts.length - 1 ? 1 : (pts[dragging + 1] as [number, number])[0] - 0.01;
      pts[dragging] = [dragging === 0 ? 0 : dragging === pts.length - 1 ? 1 : Math.min(hi, Math.max(lo, x)), y];
      set(`toneCurve.${curveChannel}`, pts);
      paint();
      schedulePreview();
    });
    const end = () => {
      if (dragging >= 0) void save(`Tone curve (${curveChannel})`);
      dragging = -1;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointerleave", end);
    canvas.addEventListener("dblclick", (e) => {
      const [x, y] = at(e);
      let pts = points().map((p) => [...p] as [number, number]);
      const hit = pts.findIndex(([px, py]) => Math.abs(px - x) < 0.04 && Math.abs(py - y) < 0.06);
      if (hit > 0 && hit < pts.length - 1) pts.splice(hit, 1);
      else if (hit < 0 && pts.length < t.toneCurve.maxPoints) pts = [...pts, [x, y] as [number, number]].sort((a, b) => a[0] - b[0]);
      set(`toneCurve.${curveChannel}`, pts);
      paint();
      schedulePreview();
      void save(`Tone curve (${curveChannel})`);
    });
    const draw = () => {
      box.replaceChildren(
        tabs(
          t.toneCurve.channels,
          () => curveChannel,
          (n) => {
            curveChannel = n;
            draw();
          },
        ),
        canvas,
        el("button", {
          type: "button",
          text: "Reset curve",
          onclick: () => {
            set(`toneCurve.${curveChannel}`, [
              [0, 0],
              [1, 1],
            ]);
            draw();
            schedulePreview();
            void save("Reset curve");
          },
        }),
      );
      paint();
    };
    draw();
    return box;
  }

  function geometrySection(t: Table) {
    const crop = () => (get("geometry.crop") as Json | null) ?? null;
    const aspect = el("select", { "aria-label": "Crop aspect" }) as HTMLSelectElement;
    for (const a of ["none", ...t.geometry.aspects]) aspect.append(el("option", { value: a, text: a === "none" ? "No crop" : a }));
    aspect.value = String(crop()?.aspect ?? "none");
    aspect.addEventListener("change", () => {
      set("geometry.crop", aspect.value === "none" ? null : { aspect: aspect.value, x: 0, y: 0, width: 1, height: 1 });
      render();
      schedulePreview();
      void save(`Crop ${aspect.value}`);
    });
    const unit = (label: string): Param => ({ min: 0, max: 1, step: 0.01, default: 0, label });
    const cropSliders = crop()
      ? [
          slider("geometry.crop.x", unit("Left")),
          slider("geometry.crop.y", unit("Top")),
          slider("geometry.crop.width", { ...unit("Width"), min: 0.05, default: 1 }),
          slider("geometry.crop.height", { ...unit("Height"), min: 0.05, default: 1 }),
        ]
      : [];
    const turn = (by: number) => () => {
      set("geometry.rotate", (((Number(get("geometry.rotate") ?? 0) + by) % 360) + 360) % 360);
      schedulePreview();
      void save(by > 0 ? "Rotate right" : "Rotate left");
    };
    const flip = (key: "flipHorizontal" | "flipVertical") => () => {
      set(`geometry.${key}`, !get(`geometry.${key}`));
      schedulePreview();
      void save(key === "flipHorizontal" ? "Flip horizontal" : "Flip vertical");
    };
    return el(
      "div",
      {},
      el("div", { class: "row" }, el("label", { text: "Aspect" }), aspect, el("span")),
      ...cropSliders,
      slider("geometry.straighten", t.geometry.straighten),
      el(
        "div",
        { class: "tabs" },
        el("button", { type: "button", text: "⟲ 90°", onclick: turn(-90) }),
        el("button", { type: "button", text: "⟳ 90°", onclick: turn(90) }),
        el("button", { type: "button", text: "Flip ↔", onclick: flip("flipHorizontal") }),
        el("button", { type: "button", text: "Flip ↕", onclick: flip("flipVertical") }),
      ),
    );
  }

  function masksSection(t: Table, providers: { id: string; label: string }[]) {
    const list = (get("local") as Json[] | undefined) ?? [];
    const add = (mask: Json) => () => {
      set("local", [...list, { id: `mask-${Date.now()}`, name: `Mask ${list.length + 1}`, amount: 100, mask, adjustments: {} }]);
      render();
      schedulePreview();
      void save("Add mask");
    };
    const items = list.map((m, i) => {
      const mask = m.mask as Json;
      const pos: Node[] =
        mask.type === "radial"
          ? ["cx", "cy", "rx", "ry"].map((k) => slider(`local.${i}.mask.${k}`, { min: 0, max: 1, step: 0.01, default: 0.5, label: k }))
          : mask.type === "linear"
            ? ["x1", "y1", "x2", "y2"].map((k) => slider(`local.${i}.mask.${k}`, { min: 0, max: 1, step: 0.01, default: 0, label: k }))
            : [el("div", { text: `From ${mask.provider}` })];
      return el(
        "div",
        { class: "mask" },
        el("strong", { text: String(m.name ?? `Mask ${i + 1}`) }),
        el("button", {
          type: "button",
          text: "Remove",
          onclick: () => {
            set(
              "local",
              list.filter((_, j) => j !== i),
            );
            render();
            schedulePreview();
            void save("Remove mask");
          },
        }),
        slider(`local.${i}.amount`, t.local.amount),
        ...pos,
        ...sliders(`local.${i}.adjustments`, t.local.params),
      );
    });
    return el(
      "div",
      {},
      el(
        "div",
        { class: "tabs" },
        el("button", { type: "button", text: "+ Radial", onclick: add({ type: "radial", cx: 0.5, cy: 0.5, rx: 0.3, ry: 0.3, feather: 50, invert: false }) }),
        el("button", { type: "button", text: "+ Linear", onclick: add({ type: "linear", x1: 0.5, y1: 0, x2: 0.5, y2: 0.5, invert: false }) }),
        ...providers.map((p) =>
          el("button", { type: "button", text: `+ ${p.label}`, onclick: add({ type: "extension", provider: p.id, params: {}, invert: false }) }),
        ),
      ),
      ...items,
    );
  }

  async function presetsSection() {
    const { presets } = await request<{ presets: { id: string; name: string; group: string }[] }>("GET", "/presets");
    const select = el("select", { "aria-label": "Preset" }) as HTMLSelectElement;
    const groups = new Map<string, HTMLElement>();
    for (const p of presets) {
      let g = groups.get(p.group);
      if (!g) {
        g = el("optgroup", { label: p.group });
        groups.set(p.group, g);
        select.append(g);
      }
      g.append(el("option", { value: p.id, text: p.name }));
    }
    const name = el("input", { type: "text", placeholder: "New preset name", "aria-label": "New preset name" }) as HTMLInputElement;
    return el(
      "div",
      {},
      el(
        "div",
        { class: "row" },
        el("label", { text: "Preset" }),
        select,
        el("button", {
          type: "button",
          text: "Apply",
          onclick: async () => {
            if (!asset) return;
            adopt(await request<State>("POST", `/assets/${asset.id}/recipe/preset`, { presetId: select.value }));
            record(`Preset ${select.selectedOptions[0]?.textContent ?? ""}`);
          },
        }),
      ),
      el(
        "div",
        { class: "row" },
        el("label", { text: "Save as" }),
        name,
        el("button", {
          type: "button",
          text: "Save",
          onclick: async () => {
            if (!state || !name.value.trim()) return;
            try {
              await request("POST", "/presets", { name: name.value.trim(), recipe: state.recipe });
              sdk.toast(`Saved preset “${name.value.trim()}”`, "success");
              render();
            } catch (err) {
              sdk.toast((err as Error).message, "error");
            }
          },
        }),
      ),
    );
  }

  async function exportSection() {
    const { platforms, formats } = await request<{ platforms: { id: string; label: string }[]; formats: string[] }>("GET", "/platforms");
    const target = el("select", { "aria-label": "Export for" }) as HTMLSelectElement;
    target.append(el("option", { value: "", text: "Full size (new version)" }));
    for (const p of platforms) target.append(el("option", { value: p.id, text: p.label }));
    const format = el("select", { "aria-label": "Format" }) as HTMLSelectElement;
    for (const f of formats) format.append(el("option", { value: f, text: f.toUpperCase() }));
    const space = el("select", { "aria-label": "Colour space" }) as HTMLSelectElement;
    space.append(el("option", { value: "srgb", text: "sRGB" }), el("option", { value: "p3", text: "Display P3" }));
    // After an export: a link to the file it made (a new version, or a new asset for a platform).
    const result = el("p", { class: "export-result", "aria-live": "polite" });
    const showResult = (r: ExportResult) => {
      const id = r.newAssetId ?? r.assetId;
      const query = r.version ? `version=${r.version}&download=true` : "download=true";
      const what = r.newAssetId ? "a new photo in the library" : `version ${r.version}`;
      result.replaceChildren(
        `Exported ${r.width}×${r.height} ${r.format.toUpperCase()} as ${what}. `,
        el("a", { href: `/api/assets/${id}/files/original?${query}`, download: "", text: "Download" }),
      );
    };
    return el(
      "div",
      {},
      el("div", { class: "row" }, el("label", { text: "For" }), target, el("span")),
      el("div", { class: "row" }, el("label", { text: "Format" }), format, el("span")),
      el("div", { class: "row" }, el("label", { text: "Colour" }), space, el("span")),
      el("button", {
        type: "button",
        text: "Export",
        onclick: async () => {
          if (!asset) return;
          result.replaceChildren("Exporting…");
          const options: Json = { format: format.value, colorSpace: space.value, ...(target.value ? { platform: target.value } : {}) };
          try {
            const { jobId } = await request<{ jobId: string }>("POST", `/assets/${asset.id}/export`, { options });
            setStatus("Exporting…");
            const off = sdk.jobs.watch(jobId, (job) => {
              setStatus(`Exporting… ${Math.round(job.progress * 100)} %`);
              if (job.status === "succeeded") {
                sdk.toast("Export ready", "success");
                showResult(job.result as ExportResult);
              }
              if (job.status === "failed" || job.status === "cancelled") {
                const message = job.status === "cancelled" ? "The export was cancelled." : `The export failed: ${job.error?.message ?? "unknown error"}`;
                sdk.toast(message, "error");
                result.replaceChildren(message);
              }
              if (["succeeded", "failed", "cancelled"].includes(job.status)) {
                setStatus("");
                off();
              }
            });
            cleanups.push(off);
          } catch (err) {
            result.replaceChildren("");
            sdk.toast((err as Error).message, "error");
          }
        },
      }),
      result,
    );
  }

  // ---- histogram ----
  const histogram = el("canvas", { width: 256, height: 80, "aria-label": "Histogram" }) as HTMLCanvasElement;
  function drawHistogram(h: PreviewAnswer["histogram"]) {
    const g = histogram.getContext?.("2d");
    if (!g) return;
    g.clearRect(0, 0, 256, 80);
    const max = Math.max(1, ...h.luma.slice(1, 255), ...h.red.slice(1, 255), ...h.green.slice(1, 255), ...h.blue.slice(1, 255));
    g.globalCompositeOperation = "lighter";
    for (const [bins, colour] of [
      [h.red, "#c33"],
      [h.green, "#3a3"],
      [h.blue, "#36c"],
    ] as const) {
      g.fillStyle = colour;
      for (const [x, v] of bins.entries()) g.fillRect(x, 80 - (80 * Math.min(v, max)) / max, 1, (80 * Math.min(v, max)) / max);
    }
    g.globalCompositeOperation = "source-over";
  }

  // ---- header ----
  const undoButton = el("button", { type: "button", text: "Undo", onclick: () => step("undo") }) as HTMLButtonElement;
  const redoButton = el("button", { type: "button", text: "Redo", onclick: () => step("redo") }) as HTMLButtonElement;
  const beforeButton = el("button", {
    type: "button",
    "aria-pressed": "false",
    text: "Before",
    onclick: () => {
      before = !before;
      beforeButton.setAttribute("aria-pressed", String(before));
      sdk.editor?.setPreview(before ? null : lastImage);
    },
  }) as HTMLButtonElement;
  const header = el(
    "header",
    {},
    el("button", {
      type: "button",
      text: "Auto",
      onclick: async () => {
        if (!asset) return;
        const { state: next } = await request<{ state: State }>("POST", `/assets/${asset.id}/auto`, { apply: true });
        adopt(next);
        record("Auto");
      },
    }),
    undoButton,
    redoButton,
    beforeButton,
    el("button", {
      type: "button",
      text: "Reset",
      onclick: async () => {
        if (!asset) return;
        adopt(await request<State>("DELETE", `/assets/${asset.id}/recipe`));
        record("Reset");
      },
    }),
    status,
  );
  root.prepend(header, histogram);

  let providers: { id: string; label: string }[] = [];
  let presetsBox: Node = el("div");
  let exportBox: Node = el("div");

  function render() {
    if (!table || !state) {
      body.replaceChildren(el("p", { text: asset ? "Loading…" : "Open a photo to develop it." }));
      return;
    }
    const t = table;
    const openNow = new Set(Array.from(body.querySelectorAll("details[open] > summary")).map((s) => s.textContent));
    const keep = (title: string, fallback: boolean) => (openNow.size ? openNow.has(title) : fallback);
    body.replaceChildren(
      group("Presets", keep("Presets", false), presetsBox),
      group(
        "Basic",
        keep("Basic", true),
        heading("White balance"),
        ...sliders("basic", { temperature: t.basic.temperature as Param, tint: t.basic.tint as Param }),
        heading("Tone"),
        ...Object.entries(t.basic)
          .filter(([k]) => k !== "temperature" && k !== "tint")
          .map(([k, p]) => slider(`basic.${k}`, p)),
        heading("Presence"),
        ...sliders("presence", t.presence),
      ),
      group("Tone curve", keep("Tone curve", false), curveSection(t)),
      group("HSL / Color", keep("HSL / Color", false), hslSection(t)),
      group("Color grading", keep("Color grading", false), gradingSection(t)),
      group(
        "Detail",
        keep("Detail", false),
        heading("Sharpening"),
        ...sliders("detail.sharpening", t.detail.sharpening),
        heading("Noise reduction"),
        ...sliders("detail.noiseReduction", t.detail.noiseReduction),
      ),
      group(
        "Effects",
        keep("Effects", false),
        heading("Vignette"),
        ...sliders("effects.vignette", t.effects.vignette),
        heading("Grain"),
        ...sliders("effects.grain", t.effects.grain),
      ),
      group("Crop & geometry", keep("Crop & geometry", false), geometrySection(t)),
      group("Masks", keep("Masks", false), masksSection(t, providers)),
      group("Export", keep("Export", false), exportBox),
    );
  }

  async function start() {
    const schema = await request<{ params: Table }>("GET", "/recipe-schema");
    table = schema.params;
    providers = (await request<{ providers: { id: string; label: string }[] }>("GET", "/masks")).providers;
    presetsBox = await presetsSection();
    exportBox = await exportSection();
    cleanups.push(
      sdk.asset.subscribe((a) => {
        asset = a && a.kind === "image" ? a : null;
        state = null;
        render();
        if (asset) void load().catch((err) => setStatus((err as Error).message));
      }),
    );
    // The studio's undo/redo: follow the editor's history to the matching server revision.
    if (sdk.editor) {
      cleanups.push(
        sdk.editor.history.subscribe((entry) => {
          // Our own commit names the revision we are at, so it moves nothing; a redo back to
          // that same entry names the revision after ours, so it steps forward.
          if (!asset || !state) return;
          const revision = (entry as { filters?: { revision?: number } } | null)?.filters?.revision ?? 0;
          if (revision === state.revision - 1) void step("undo");
          else if (revision === state.revision + 1) void step("redo");
        }),
      );
    }
  }

  render();
  void start().catch((err) => setStatus(`Could not start: ${(err as Error).message}`));

  return () => {
    for (const c of cleanups.splice(0)) c();
    root.remove();
  };
}
