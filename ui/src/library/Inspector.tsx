import { createEffect, createSignal, For, Show } from "solid-js";
import type { Asset, Project } from "../api/types.js";
import { api, panelsIn } from "../app/services.js";
import { toast, toastError } from "../app/toasts.js";
import { PanelHost } from "../panels/PanelHost.js";
import { formatBytes, formatDuration } from "./AssetGrid.js";

/** Details of the one selected asset: rename, tags, facts, and the plugins' inspector panels. */
export function Inspector(props: { asset: Asset; projects: Project[]; onChange: (asset: Asset) => void }) {
  const [name, setName] = createSignal(props.asset.name);
  const [tags, setTags] = createSignal(props.asset.tags.join(", "));
  const [saving, setSaving] = createSignal(false);
  createEffect(() => {
    setName(props.asset.name);
    setTags(props.asset.tags.join(", "));
  });

  const save = async (e: Event) => {
    e.preventDefault();
    const nextTags = tags()
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const fields: { name?: string; tags?: string[] } = {};
    if (name().trim() && name().trim() !== props.asset.name) fields.name = name().trim();
    if (nextTags.join(",") !== props.asset.tags.join(",")) fields.tags = nextTags;
    if (!Object.keys(fields).length) return;
    setSaving(true);
    try {
      props.onChange(await api.updateAsset(props.asset.id, fields));
      toast("Saved.", "success");
    } catch (err) {
      toastError("Couldn't save the changes", err);
    } finally {
      setSaving(false);
    }
  };

  const v = () => props.asset.version;
  const inspectors = () => panelsIn("inspector");

  return (
    <aside class="inspector" aria-label="Details">
      <Show when={props.asset.urls.files["thumb-1024.webp"] ?? props.asset.urls.files["thumb-256.webp"]}>
        {(src) => <img class="inspector-preview" src={src()} alt={`Preview of ${props.asset.name}`} />}
      </Show>
      <form class="form" onSubmit={save}>
        <label>
          Name
          <input type="text" value={name()} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Tags
          <input type="text" value={tags()} placeholder="comma-separated, e.g. travel, sunset" onInput={(e) => setTags(e.currentTarget.value)} />
        </label>
        <button type="submit" class="button" disabled={saving()}>
          {saving() ? "Saving…" : "Save"}
        </button>
      </form>
      <dl class="facts">
        <Show when={props.asset.status !== "ready"}>
          <dt>Status</dt>
          <dd>{props.asset.status === "processing" ? "Processing…" : `Failed: ${props.asset.error?.message ?? "unknown error"}`}</dd>
        </Show>
        <Show when={v()}>
          {(ver) => (
            <>
              <dt>Type</dt>
              <dd>{ver().mime}</dd>
              <dt>Size</dt>
              <dd>{formatBytes(ver().size)}</dd>
              <Show when={ver().width && ver().height}>
                <dt>Dimensions</dt>
                <dd>
                  {ver().width} × {ver().height}
                </dd>
              </Show>
              <Show when={ver().durationMs}>
                {(ms) => (
                  <>
                    <dt>Duration</dt>
                    <dd>{formatDuration(ms())}</dd>
                  </>
                )}
              </Show>
              <dt>Version</dt>
              <dd>{ver().version}</dd>
            </>
          )}
        </Show>
        <dt>Added</dt>
        <dd>{new Date(props.asset.createdAt).toLocaleString()}</dd>
        <Show when={props.asset.capturedAt}>
          {(at) => (
            <>
              <dt>Captured</dt>
              <dd>{new Date(at()).toLocaleString()}</dd>
            </>
          )}
        </Show>
        <Show when={props.asset.projectIds.length}>
          <dt>In</dt>
          <dd>
            {props.asset.projectIds
              .map((id) => props.projects.find((p) => p.id === id)?.name)
              .filter(Boolean)
              .join(", ")}
          </dd>
        </Show>
      </dl>
      <a class="button" href={`${props.asset.urls.original}${props.asset.urls.original.includes("?") ? "&" : "?"}download=true`} download="">
        Download original
      </a>
      <For each={inspectors()}>{(p) => <PanelHost panel={p} class="inspector-panel" />}</For>
    </aside>
  );
}
