import { createMemo, Show } from "solid-js";
import type { PanelDescriptor } from "../api/types.js";
import { PanelHost } from "./PanelHost.js";

/** A plugin's full-page panel (slot `page`) at /p/<plugin>/<panel>. */
export default function PanelPage(props: { plugin: string; panel: string; known: PanelDescriptor[] }) {
  const panel = createMemo(() => props.known.find((p) => p.plugin === props.plugin && p.id === props.panel && p.slot === "page") ?? null);
  return (
    <div class="page">
      <Show
        when={panel()}
        keyed
        fallback={
          <div class="empty-state">
            <h1>This page isn't available</h1>
            <p>
              The plugin “{props.plugin}” offers no page “{props.panel}” in this workspace: it may be disabled or not installed. See{" "}
              <a href="/settings/plugins">Plugins</a>.
            </p>
          </div>
        }
      >
        {(p) => (
          <>
            <header class="page-header">
              <h1>{p.title}</h1>
              <span class="muted small">
                {p.plugin} {p.pluginVersion}
              </span>
            </header>
            <PanelHost panel={p} class="page-panel" />
          </>
        )}
      </Show>
    </div>
  );
}
