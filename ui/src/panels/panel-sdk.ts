import { type Accessor, createEffect, createRoot, on } from "solid-js";
import { ApiError } from "../api/errors.js";
import type { PanelDescriptor } from "../api/types.js";
import { api, focusAsset, selection, theme } from "../app/services.js";
import { toast } from "../app/toasts.js";
import { watchJob } from "../jobs/jobs-store.js";
import { type Observable, PANEL_SDK_VERSION, type PanelEditor, type PanelJobs, type PanelSdk } from "../sdk/types.js";
import { untilJobEnded } from "../sdk/until-ended.js";

/** An SDK `Observable` over a Solid accessor; `dispose` ends every subscription it made. */
function observe<T>(read: Accessor<T>, disposers: (() => void)[]): Observable<T> {
  return {
    current: read,
    subscribe(fn) {
      let dispose = () => {};
      createRoot((d) => {
        dispose = d;
        createEffect(on(read, (v) => fn(v)));
      });
      disposers.push(dispose);
      return dispose;
    },
  };
}

/** What the editor hands a tool panel; the rest of the SDK is the same in every slot. */
export interface EditorHooks {
  setPreview(image: Blob | string | null): void;
  commit(label: string, state: unknown): void;
  historyState: Accessor<unknown>;
}

/** The SDK one panel instance receives; `dispose` runs when the panel closes. */
export function createPanelSdk(panel: PanelDescriptor, editor?: EditorHooks): { sdk: PanelSdk; dispose: () => void } {
  const disposers: (() => void)[] = [];
  const major = panel.pluginVersion.split(".")[0] ?? "1";
  const base = `/api/p/${panel.plugin}/v${major}`;
  const panelEditor: PanelEditor | null = editor
    ? {
        setPreview: (image) => editor.setPreview(image),
        commit: (label, state) => editor.commit(label, state),
        history: observe(editor.historyState, disposers),
      }
    : null;
  const watch: PanelJobs["watch"] = (jobId, fn) => {
    const off = watchJob(jobId, fn);
    disposers.push(off);
    return off;
  };
  const sdk: PanelSdk = {
    version: PANEL_SDK_VERSION,
    panel: { plugin: panel.plugin, pluginVersion: panel.pluginVersion, id: panel.id, slot: panel.slot, title: panel.title },
    api: {
      base,
      request: async <T>(method: string, path: string, body?: unknown) => {
        if (!path.startsWith("/api/")) throw new ApiError(400, "PANEL_BAD_PATH", `paths start with /api/ (got ${path})`);
        return api.request<T>(method, path, { body });
      },
    },
    asset: observe(focusAsset, disposers),
    selection: observe(selection, disposers),
    theme: observe(theme, disposers),
    jobs: {
      watch,
      untilEnded: (jobId, onProgress) => untilJobEnded(watch, jobId, onProgress),
    },
    toast: (message, kind) => toast(message, kind ?? "info"),
    editor: panelEditor,
  };
  return {
    sdk,
    dispose: () => {
      for (const d of disposers.splice(0)) d();
    },
  };
}
