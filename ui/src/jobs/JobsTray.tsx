import { createMemo, createSignal, For, Show } from "solid-js";
import type { JobRecord } from "../api/types.js";
import { Icon } from "../app/Icon.js";
import { toast, toastError } from "../app/toasts.js";
import { canCancel, canRetry, explainJobError, isActive, jobTitle, STATUS_LABEL } from "./job-text.js";
import { cancelJob, connection, jobs, loadError, reloadJobs, retryJob } from "./jobs-store.js";

/** Every job of the tenant with live progress; cancel, retry, and failures explained in words. */
export function JobsTray(props: { open: boolean; onClose: () => void }) {
  const [filter, setFilter] = createSignal<"all" | "active" | "failed">("all");
  const shown = createMemo(() => {
    const list = jobs().filter((j) => !j.parentId);
    if (filter() === "active") return list.filter((j) => isActive(j.status));
    if (filter() === "failed") return list.filter((j) => j.status === "failed" || j.status === "cancelled");
    return list;
  });

  return (
    <aside id="jobs-tray" class="jobs-tray" aria-label="Jobs" hidden={!props.open}>
      <header class="tray-header">
        <h2>Jobs</h2>
        <span class={`connection ${connection()}`} title={connection() === "live" ? "Live updates" : "Reconnecting to live updates…"}>
          {connection() === "live" ? "Live" : connection() === "connecting" ? "Connecting…" : "Offline"}
        </span>
        <button type="button" class="icon-button" aria-label="Close jobs" onClick={() => props.onClose()}>
          <Icon name="close" />
        </button>
      </header>
      <fieldset class="segmented">
        <legend class="visually-hidden">Show jobs</legend>
        <For each={["all", "active", "failed"] as const}>
          {(f) => (
            <button type="button" aria-pressed={filter() === f} onClick={() => setFilter(f)}>
              {f === "all" ? "All" : f === "active" ? "Running" : "Failed"}
            </button>
          )}
        </For>
      </fieldset>
      <Show when={loadError()}>
        <div class="notice error" role="alert">
          Jobs couldn't be loaded: {loadError()}{" "}
          <button type="button" class="link-button" onClick={() => void reloadJobs()}>
            Retry
          </button>
        </div>
      </Show>
      <ul class="job-list">
        <For each={shown()} fallback={<li class="job-empty">No jobs {filter() === "all" ? "yet" : "here"}. Uploads and edits show their progress here.</li>}>
          {(job) => <JobItem job={job} />}
        </For>
      </ul>
    </aside>
  );
}

function JobItem(props: { job: JobRecord }) {
  const [busy, setBusy] = createSignal(false);
  const act = async (what: "cancel" | "retry") => {
    setBusy(true);
    try {
      if (what === "cancel") await cancelJob(props.job.id);
      else await retryJob(props.job.id);
      toast(what === "cancel" ? "Job cancelled." : "Job queued again.", "success");
    } catch (err) {
      toastError(what === "cancel" ? "Couldn't cancel the job" : "Couldn't retry the job", err);
    } finally {
      setBusy(false);
    }
  };
  const percent = () => Math.round(Math.max(0, Math.min(1, props.job.progress)) * 100);
  const title = () => jobTitle(props.job);
  return (
    <li class={`job ${props.job.status}`} data-job-type={props.job.type} data-status={props.job.status}>
      <div class="job-line">
        <span class="job-title">{title()}</span>
        <span class={`status-chip ${props.job.status}`}>{STATUS_LABEL[props.job.status]}</span>
      </div>
      <Show when={isActive(props.job.status)}>
        <div class="progress" role="progressbar" aria-label={`${title()} progress`} aria-valuemin="0" aria-valuemax="100" aria-valuenow={percent()}>
          <div class="progress-fill" style={{ width: `${percent()}%` }} />
        </div>
      </Show>
      <Show when={explainJobError(props.job)}>{(text) => <p class="job-error">{text()}</p>}</Show>
      <div class="job-meta">
        <time dateTime={props.job.createdAt}>{new Date(props.job.createdAt).toLocaleTimeString()}</time>
        <Show when={props.job.assetId}>
          <a href={`/editor/${props.job.assetId}`}>Open item</a>
        </Show>
        <span class="job-actions">
          <Show when={canCancel(props.job)}>
            <button type="button" class="button small" disabled={busy()} onClick={() => void act("cancel")} aria-label={`Cancel ${title()}`}>
              Cancel
            </button>
          </Show>
          <Show when={canRetry(props.job)}>
            <button type="button" class="button small" disabled={busy()} onClick={() => void act("retry")} aria-label={`Retry ${title()}`}>
              Retry
            </button>
          </Show>
        </span>
      </div>
    </li>
  );
}
