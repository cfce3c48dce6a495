import { For } from "solid-js";
import { panelsIn } from "../app/services.js";
import { PanelHost } from "./PanelHost.js";

/** Plugins' dashboard widgets (slot `dashboard.widget`), side by side. */
export default function Dashboard() {
  return (
    <div class="page">
      <header class="page-header">
        <h1>Dashboard</h1>
      </header>
      <div class="widget-grid">
        <For each={panelsIn("dashboard.widget")}>{(p) => <PanelHost panel={p} class="card widget" />}</For>
      </div>
    </div>
  );
}
