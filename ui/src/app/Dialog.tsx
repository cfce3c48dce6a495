import { createEffect, type JSX, onCleanup, Show } from "solid-js";
import { Icon } from "./Icon.js";

/**
 * A modal dialog: focus moves in when it opens, Tab stays inside, Escape closes, and focus
 * returns to where it was.
 */
export function Dialog(props: { open: boolean; title: string; onClose: () => void; children: JSX.Element; wide?: boolean }) {
  let box: HTMLDivElement | undefined;
  let returnTo: Element | null = null;

  createEffect(() => {
    if (!props.open) return;
    returnTo = document.activeElement;
    queueMicrotask(() => {
      const first = box?.querySelector<HTMLElement>("[autofocus], input, select, textarea, button:not(.dialog-close), [href]");
      (first ?? box)?.focus();
    });
    onCleanup(() => (returnTo as HTMLElement | null)?.focus?.());
  });

  const trap = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      props.onClose();
      return;
    }
    if (e.key !== "Tab" || !box) return;
    const items = [...box.querySelectorAll<HTMLElement>("button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])")].filter(
      (el) => !el.hasAttribute("disabled"),
    );
    if (!items.length) return;
    const first = items[0] as HTMLElement;
    const last = items[items.length - 1] as HTMLElement;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <Show when={props.open}>
      {/* biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: a click outside closes; Escape does the same from the keyboard */}
      <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
        <div ref={box} class="dialog" classList={{ wide: props.wide }} role="dialog" aria-modal="true" aria-label={props.title} tabindex="-1" onKeyDown={trap}>
          <header class="dialog-header">
            <h2>{props.title}</h2>
            <button type="button" class="icon-button dialog-close" aria-label="Close" onClick={() => props.onClose()}>
              <Icon name="close" />
            </button>
          </header>
          <div class="dialog-body">{props.children}</div>
        </div>
      </div>
    </Show>
  );
}
