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

/** " · part 2 of 5" for a resumable upload. */
function partText(u: UploadItem): string {
  return u.parts && u.parts.count > 1 ? ` · part ${Math.min(u.parts.done + 1, u.parts.count)} of ${u.parts.count}` : "";
}

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
                  <li class={`upload ${u.status}`} data-upload-status={u.status} data-upload-mode={u.parts ? "resumable" : "single"}>
                    <div class="upload-line">
                      <span class="upload-name" title={u.name}>
                        {u.name}
                      </span>
                      <span class="upload-status">
                        {u.status === "uploading" ? `${percent()}% of ${formatBytes(u.size)}${partText(u)}` : STATUS[u.status]}
                        {u.status === "processing" && <span class="spinner small" aria-hidden="true" />}
                      </span>
                    </div>
                    <Show when={u.status === "uploading" || u.status === "queued"}>
                      <progress class="upload-progress" max="100" value={percent()} aria-label={`Upload of ${u.name}`} />
                    </Show>
                    <Show when={u.parts?.resumed && u.status === "uploading"}>
                      <p class="upload-note">
                        Resumed: {u.parts?.resumed} of {u.parts?.count} parts had arrived before.
                      </p>
                    </Show>
                    <Show when={u.error}>
                      <p class="upload-error" role="alert">
                        {u.error}
                        {u.parts && u.status === "failed" ? " Retry continues where it stopped." : ""}
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
