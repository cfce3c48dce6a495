import { createSignal, onCleanup, onMount, Show } from "solid-js";
import type { PanelDescriptor } from "../api/types.js";
import type { PanelModule, Unmount } from "../sdk/types.js";
import { createPanelSdk, type EditorHooks } from "./panel-sdk.js";

const modules = new Map<string, Promise<PanelModule>>();

/** Imports a first-party panel's module once; it is fetched only when the panel first opens. */
function loadModule(url: string): Promise<PanelModule> {
  let p = modules.get(url);
  if (!p) {
    p = import(/* @vite-ignore */ url) as Promise<PanelModule>;
    modules.set(url, p);
    p.catch(() => modules.delete(url));
  }
  return p;
}

/** Third-party panels run sandboxed; the kernel marks them with `trust: "third-party"`. */
export const isSandboxed = (panel: PanelDescriptor) => panel.trust === "third-party";

/**
 * Mounts one plugin panel: imports its ES module (or, for a third-party panel, starts its
 * sandboxed frame), calls `mount(element, sdk)`, and unmounts when this component goes.
 * Loading shows progress; a panel that fails to load or throws says so in words.
 */
export function PanelHost(props: { panel: PanelDescriptor; editor?: EditorHooks; class?: string }) {
  let element!: HTMLDivElement;
  const [state, setState] = createSignal<"loading" | "ready" | "failed">("loading");
  const [error, setError] = createSignal("");
  let unmount: Unmount | undefined;
  let closed = false;
  const { sdk, dispose } = createPanelSdk(props.panel, props.editor);
  const fail = (message: string) => {
    setError(`The “${props.panel.title}” panel (plugin ${props.panel.plugin} ${props.panel.pluginVersion}) could not open: ${message}`);
    setState("failed");
  };

  onMount(async () => {
    try {
      if (isSandboxed(props.panel)) {
        const { mountFramePanel } = await import("../sdk/frame-host.js");
        if (closed) return;
        unmount = await mountFramePanel(element, props.panel.url, sdk, fail);
      } else {
        const mod = await loadModule(props.panel.url);
        if (closed) return;
        if (typeof mod.mount !== "function") throw new Error("its module does not export mount(element, sdk)");
        unmount = (await mod.mount(element, sdk)) ?? undefined;
      }
      if (closed) unmount?.();
      else if (state() !== "failed") setState("ready");
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
    }
  });

  onCleanup(() => {
    closed = true;
    try {
      unmount?.();
    } catch {
      // a panel that throws on close must not break the studio
    }
    dispose();
  });

  return (
    <section
      class={`panel-host ${props.class ?? ""}`}
      aria-label={props.panel.title}
      aria-busy={state() === "loading"}
      data-panel={`${props.panel.plugin}/${props.panel.id}`}
    >
      <Show when={state() === "loading"}>
        <div class="panel-loading" role="status">
          <span class="spinner" aria-hidden="true" /> Loading {props.panel.title}…
        </div>
      </Show>
      <Show when={state() === "failed"}>
        <div class="notice error" role="alert">
          {error()}
        </div>
      </Show>
      <div ref={element} class="panel-body" />
    </section>
  );
}
