import { createSignal } from "solid-js";
import { messageOf } from "../api/errors.js";

export type ToastKind = "info" | "success" | "error";

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  action?: { label: string; run: () => void };
}

const [toasts, setToasts] = createSignal<Toast[]>([]);

export { toasts };

let next = 1;

export function dismissToast(id: number) {
  setToasts((list) => list.filter((t) => t.id !== id));
}

/** Shows a message for a few seconds (errors stay longer); the toast region announces it to screen readers. */
export function toast(message: string, kind: ToastKind = "info", action?: Toast["action"]): number {
  const id = next++;
  setToasts((list) => [...list.slice(-4), { id, kind, message, action }]);
  setTimeout(() => dismissToast(id), kind === "error" ? 9000 : action ? 7000 : 4500);
  return id;
}

/** Shows a failure in words: `what` says what was being done ("Couldn't move to trash"). */
export function toastError(what: string, err: unknown, action?: Toast["action"]) {
  return toast(`${what}. ${messageOf(err)}`, "error", action);
}
