import { For } from "solid-js";
import { Icon } from "./Icon.js";
import { dismissToast, toasts } from "./toasts.js";

/** The toast region: polite for news, assertive for errors. */
export function Toasts() {
  return (
    <div class="toasts">
      <div role="status" aria-live="polite" class="toast-list">
        <For each={toasts().filter((t) => t.kind !== "error")}>{(t) => <ToastItem id={t.id} kind={t.kind} message={t.message} action={t.action} />}</For>
      </div>
      <div role="alert" aria-live="assertive" class="toast-list">
        <For each={toasts().filter((t) => t.kind === "error")}>{(t) => <ToastItem id={t.id} kind={t.kind} message={t.message} action={t.action} />}</For>
      </div>
    </div>
  );
}

function ToastItem(props: { id: number; kind: string; message: string; action?: { label: string; run: () => void } }) {
  return (
    <div class={`toast ${props.kind}`}>
      <Icon name={props.kind === "error" ? "alert" : props.kind === "success" ? "check" : "jobs"} />
      <p>{props.message}</p>
      {props.action && (
        <button
          type="button"
          class="link-button"
          onClick={() => {
            props.action?.run();
            dismissToast(props.id);
          }}
        >
          {props.action.label}
        </button>
      )}
      <button type="button" class="icon-button small" aria-label="Dismiss" onClick={() => dismissToast(props.id)}>
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}
