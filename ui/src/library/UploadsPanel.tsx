import { createSignal, For, Show } from "solid-js";
import { Icon } from "../app/Icon.js";
import { formatBytes } from "./AssetGrid.js";
import { cancelUpload, clearFinishedUploads, retryUpload, type UploadItem, uploadSummary, uploads } from "./uploads.js";

const STATUS: Record<UploadItem["status"], string> = {
  queued: "Waiting",
  uploading: "Uploading",
  processing: "Processing",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** Per-file upload progress (bytes sent, then the ingest job), with cancel and retry. */
export function UploadsPanel() {
  const [collapsed, setCollapsed] = createSignal(false);
  return (
    <Show when={uploads.length}>
      <section class="uploads-panel" aria-label="Uploads">
        <header>
          <h2 aria-live="polite">{uploadSummary(uploads)}</h2>
          <button
            type="button"
            class="icon-button small"
            aria-expanded={!collapsed()}
            aria-label={collapsed() ? "Show uploads" : "Hide uploads"}
            onClick={() => setCollapsed((c) => !c)}
          >
            <Icon name={collapsed() ? "plus" : "minus"} size={16} />
          </button>
          <button type="button" class="icon-button small" aria-label="Clear finished uploads" onClick={clearFinishedUploads}>
            <Icon name="close" size={16} />
          </button>
        </header>
        <Show when={!collapsed()}>
          <ul>
            <For each={uploads}>
              {(u) => {
                const percent = () => (u.size ? Math.round((u.loaded / u.size) * 100) : u.status === "uploading" ? 0 : 100);
                return (
                  <li class={`upload ${u.status}`} data-upload-status={u.status}>
                    <div class="upload-line">
                      <span class="upload-name" title={u.name}>
                        {u.name}
                      </span>
                      <span class="upload-status">
                        {u.status === "uploading" ? `${percent()}% of ${formatBytes(u.size)}` : STATUS[u.status]}
                        {u.status === "processing" && <span class="spinner small" aria-hidden="true" />}
                      </span>
                    </div>
                    <Show when={u.status === "uploading" || u.status === "queued"}>
                      <progress class="upload-progress" max="100" value={percent()} aria-label={`Upload of ${u.name}`} />
                    </Show>
                    <Show when={u.error}>
                      <p class="upload-error" role="alert">
                        {u.error}
                      </p>
                    </Show>
                    <div class="upload-actions">
                      <Show when={u.status === "uploading" || u.status === "queued"}>
                        <button type="button" class="link-button" onClick={() => cancelUpload(u.key)} aria-label={`Cancel upload of ${u.name}`}>
                          Cancel
                        </button>
                      </Show>
                      <Show when={u.status === "failed" || u.status === "cancelled"}>
                        <button type="button" class="link-button" onClick={() => retryUpload(u.key)} aria-label={`Retry upload of ${u.name}`}>
                          Retry
                        </button>
                      </Show>
                      <Show when={u.status === "done" && u.assetId}>
                        <a href={`/editor/${u.assetId}`}>Open</a>
                      </Show>
                    </div>
                  </li>
                );
              }}
            </For>
          </ul>
        </Show>
      </section>
    </Show>
  );
}
