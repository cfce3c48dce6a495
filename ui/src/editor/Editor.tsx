import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import { messageOf } from "../api/errors.js";
import type { Asset, PanelDescriptor } from "../api/types.js";
import { Icon } from "../app/Icon.js";
import { api, panelsIn, setFocusAsset } from "../app/services.js";
import { useShortcuts } from "../app/shortcuts.js";
import { toast } from "../app/toasts.js";
import { processed } from "../library/uploads.js";
import { PanelHost } from "../panels/PanelHost.js";
import { type CanvasControls, type CompareMode, EditorCanvas } from "./EditorCanvas.js";
import { canRedo, canUndo, commit, createHistory, current, goTo, type History, redo, undo } from "./history.js";
import { type View, zoomLabel } from "./viewport.js";

/** Image types every browser decodes; other originals (HEIC, TIFF, RAW) are shown through their 1024 px rendition. */
const BROWSER_IMAGES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"]);

interface Step {
  /** The tool's own state, handed back on undo/redo. */
  state: unknown;
  /** The preview shown at this step (object URL or same-origin URL); null: the original. */
  preview: string | null;
}

/** The editor frame: the canvas, before/after, history, and the tool panels plugins provide. */
export default function Editor(props: { assetId: string }) {
  const [asset, setAsset] = createSignal<Asset | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [history, setHistory] = createSignal<History<Step>>(createHistory<Step>({ state: null, preview: null }));
  const [preview, setPreviewUrl] = createSignal<string | null>(null);
  const [mode, setMode] = createSignal<CompareMode>("after");
  const [view, setView] = createSignal<View>({ scale: 1, x: 0, y: 0 });
  const [tool, setTool] = createSignal<string | null>(null);
  const [showHistory, setShowHistory] = createSignal(false);
  let controls: CanvasControls | undefined;
  const objectUrls = new Set<string>();

  const load = async (id: string) => {
    setError(null);
    setAsset(null);
    setHistory(createHistory<Step>({ state: null, preview: null }));
    setPreviewUrl(null);
    try {
      const a = await api.getAsset(id);
      setAsset(a);
      setFocusAsset(a);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  createEffect(
    on(
      () => props.assetId,
      (id) => void load(id),
    ),
  );
  createEffect(
    on(
      processed,
      (p) => {
        if (p && p.assetId === props.assetId) void api.getAsset(p.assetId).then(setAsset, () => {});
      },
      { defer: true },
    ),
  );
  onCleanup(() => {
    for (const u of objectUrls) URL.revokeObjectURL(u);
  });

  const tools = createMemo(() => panelsIn("editor.tool"));
  createEffect(() => {
    const list = tools();
    if (!tool() || !list.some((p) => key(p) === tool())) setTool(list[0] ? key(list[0]) : null);
  });
  const activeTool = createMemo(() => tools().find((p) => key(p) === tool()) ?? null);

  const source = createMemo(() => {
    const a = asset();
    if (!a) return null;
    if (a.kind !== "image") return null;
    if (a.version && BROWSER_IMAGES.has(a.version.mime)) return a.urls.original;
    return a.urls.files["thumb-1024.webp"] ?? null;
  });

  const toUrl = (image: Blob | string | null): string | null => {
    if (image === null) return null;
    if (typeof image === "string") return image;
    const u = URL.createObjectURL(image);
    objectUrls.add(u);
    return u;
  };

  const editorHooks = {
    setPreview: (image: Blob | string | null) => {
      setPreviewUrl(toUrl(image));
      if (mode() === "before") setMode("after");
    },
    commit: (label: string, state: unknown) => setHistory((h) => commit(h, label, { state, preview: preview() })),
    historyState: () => current(history()).state.state,
  };

  const moveHistory = (fn: (h: History<Step>) => History<Step>) => {
    const next = fn(history());
    if (next === history()) return;
    setHistory(next);
    setPreviewUrl(current(next).state.preview);
  };

  useShortcuts([
    { combo: "mod+z", description: "Undo", group: "Editor", run: () => moveHistory(undo), inFields: true },
    { combo: "shift+mod+z", description: "Redo", group: "Editor", run: () => moveHistory(redo), inFields: true },
    { combo: "mod+y", description: "Redo", group: "Editor", run: () => moveHistory(redo), inFields: true },
    { combo: "\\", description: "Before/after", group: "Editor", run: () => setMode((m) => (m === "before" ? "after" : "before")) },
    { combo: "s", description: "Split before/after", group: "Editor", run: () => setMode((m) => (m === "split" ? "after" : "split")) },
    { combo: "+", description: "Zoom in", group: "Editor", run: () => controls?.zoomIn() },
    { combo: "=", description: "Zoom in", group: "Editor", run: () => controls?.zoomIn() },
    { combo: "-", description: "Zoom out", group: "Editor", run: () => controls?.zoomOut() },
    { combo: "0", description: "Fit to screen", group: "Editor", run: () => controls?.fit() },
    { combo: "1", description: "Actual size (100%)", group: "Editor", run: () => controls?.actualSize() },
  ]);

  return (
    <div class="editor">
      <Show when={error()}>
        <div class="empty-state" role="alert">
          <Icon name="alert" size={32} />
          <h1>This item can't be opened</h1>
          <p>{error()}</p>
          <a class="button primary" href="/library">
            Back to the library
          </a>
        </div>
      </Show>
      <Show when={!asset() && !error()}>
        <div class="empty-state" role="status">
          <span class="spinner large" aria-hidden="true" />
          <p>Opening…</p>
        </div>
      </Show>
      <Show when={asset()}>
        {(a) => (
          <>
            <div class="editor-toolbar" role="toolbar" aria-label="Editor">
              <a class="button ghost" href="/library" aria-label="Back to the library">
                ← Library
              </a>
              <h1 class="editor-title" title={a().name}>
                {a().name}
              </h1>
              <fieldset class="toolbar-group">
                <legend class="visually-hidden">Zoom</legend>
                <button type="button" class="icon-button" aria-label="Zoom out" title="Zoom out (−)" onClick={() => controls?.zoomOut()}>
                  <Icon name="minus" />
                </button>
                <output class="zoom-label" aria-live="polite" aria-label="Zoom level">
                  {zoomLabel(view().scale)}
                </output>
                <button type="button" class="icon-button" aria-label="Zoom in" title="Zoom in (+)" onClick={() => controls?.zoomIn()}>
                  <Icon name="plus" />
                </button>
                <button type="button" class="icon-button" aria-label="Fit to screen" title="Fit (0)" onClick={() => controls?.fit()}>
                  <Icon name="fit" />
                </button>
                <button type="button" class="button small" aria-label="Actual size" title="100% (1)" onClick={() => controls?.actualSize()}>
                  1:1
                </button>
              </fieldset>
              <fieldset class="toolbar-group">
                <legend class="visually-hidden">Compare</legend>
                <button
                  type="button"
                  class="button small"
                  aria-pressed={mode() === "before"}
                  title="Before/after (\)"
                  onClick={() => setMode((m) => (m === "before" ? "after" : "before"))}
                >
                  <Icon name="compare" size={18} /> {mode() === "before" ? "Showing before" : "Before/after"}
                </button>
                <button
                  type="button"
                  class="button small"
                  aria-pressed={mode() === "split"}
                  title="Split view (S)"
                  onClick={() => setMode((m) => (m === "split" ? "after" : "split"))}
                >
                  Split
                </button>
              </fieldset>
              <fieldset class="toolbar-group">
                <legend class="visually-hidden">History</legend>
                <button
                  type="button"
                  class="icon-button"
                  aria-label="Undo"
                  title="Undo (Ctrl+Z)"
                  disabled={!canUndo(history())}
                  onClick={() => moveHistory(undo)}
                >
                  <Icon name="undo" />
                </button>
                <button
                  type="button"
                  class="icon-button"
                  aria-label="Redo"
                  title="Redo (Ctrl+Shift+Z)"
                  disabled={!canRedo(history())}
                  onClick={() => moveHistory(redo)}
                >
                  <Icon name="redo" />
                </button>
                <button type="button" class="button small" aria-expanded={showHistory()} aria-controls="history-list" onClick={() => setShowHistory((s) => !s)}>
                  History ({history().entries.length - 1})
                </button>
              </fieldset>
              <a class="button small" href={`${a().urls.original}${a().urls.original.includes("?") ? "&" : "?"}download=true`} download="">
                Download
              </a>
            </div>
            <div class="editor-body">
              <div class="editor-stage">
                <Show
                  when={source()}
                  fallback={
                    <Show
                      when={a().kind === "video" && a().urls.files["proxy.mp4"]}
                      fallback={
                        <div class="empty-state">
                          <p>
                            {a().status === "processing"
                              ? "Still processing this upload; the editor opens it when it's ready."
                              : a().kind === "audio"
                                ? "Audio has no picture to edit here."
                                : "No preview of this item is available."}
                          </p>
                          <Show when={a().kind === "audio"}>
                            <audio controls src={a().urls.original} aria-label={a().name}>
                              <track kind="captions" />
                            </audio>
                          </Show>
                        </div>
                      }
                    >
                      {(src) => (
                        <video class="editor-video" controls src={src()} poster={a().urls.files["poster.jpg"]} aria-label={a().name}>
                          <track kind="captions" />
                        </video>
                      )}
                    </Show>
                  }
                >
                  {(src) => (
                    <EditorCanvas
                      before={src()}
                      after={preview()}
                      width={a().version?.width ?? null}
                      height={a().version?.height ?? null}
                      mode={mode()}
                      label={`${a().name}, ${mode() === "before" ? "original" : mode() === "split" ? "before and after, split" : "edited"}; drag to pan, scroll to zoom`}
                      onView={setView}
                      onError={(m) => toast(m, "error")}
                      controls={(c) => {
                        controls = c;
                      }}
                    />
                  )}
                </Show>
                <Show when={showHistory()}>
                  <ol id="history-list" class="history-list" aria-label="Edit history">
                    <For each={history().entries}>
                      {(entry, i) => (
                        <li>
                          <button type="button" aria-current={i() === history().index ? "step" : undefined} onClick={() => moveHistory((h) => goTo(h, i()))}>
                            {entry.label}
                          </button>
                        </li>
                      )}
                    </For>
                  </ol>
                </Show>
              </div>
              <aside class="tool-rail" aria-label="Tools">
                <Show
                  when={tools().length}
                  fallback={
                    <div class="tool-empty">
                      <h2>No editing tools yet</h2>
                      <p>Tools come from plugins (Develop, Cutout, Upscale…). An admin can install or enable them under Settings → Plugins.</p>
                      <a href="/settings/plugins">Open the plugin manager</a>
                    </div>
                  }
                >
                  <div class="tool-tabs" role="tablist" aria-label="Editing tools">
                    <For each={tools()}>
                      {(p) => (
                        <button
                          type="button"
                          role="tab"
                          id={`tool-tab-${key(p)}`}
                          aria-selected={tool() === key(p)}
                          aria-controls="tool-panel"
                          tabindex={tool() === key(p) ? 0 : -1}
                          onClick={() => setTool(key(p))}
                        >
                          {p.title}
                        </button>
                      )}
                    </For>
                  </div>
                  <div id="tool-panel" role="tabpanel" aria-labelledby={tool() ? `tool-tab-${tool()}` : undefined} class="tool-panel">
                    <Show when={activeTool()} keyed>
                      {(p) => <PanelHost panel={p} editor={editorHooks} />}
                    </Show>
                  </div>
                </Show>
              </aside>
            </div>
          </>
        )}
      </Show>
    </div>
  );
}

const key = (p: PanelDescriptor) => `${p.plugin}-${p.id}`;
