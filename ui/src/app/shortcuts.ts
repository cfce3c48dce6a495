import { createSignal, onCleanup } from "solid-js";
import { type Combo, isTypingTarget, matches, parseCombo } from "./shortcut-keys.js";

export interface Shortcut {
  combo: string;
  description: string;
  /** Which screen offers it ("Global", "Library", "Editor"); shown grouped in the help dialog. */
  group: string;
  run: (e: KeyboardEvent) => void;
  /** Fire even while typing in a field (for mod+ combos like undo). */
  inFields?: boolean;
}

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

export { isMac };

const active: { shortcut: Shortcut; combo: Combo }[] = [];
const [listed, setListed] = createSignal<Shortcut[]>([]);

/** Every shortcut registered now (for the help dialog). */
export { listed as shortcutList };

/** Registers shortcuts for as long as the calling component lives; the latest registration of a combo wins. */
export function useShortcuts(shortcuts: Shortcut[]) {
  const entries = shortcuts.map((shortcut) => ({ shortcut, combo: parseCombo(shortcut.combo) }));
  active.push(...entries);
  setListed(active.map((e) => e.shortcut));
  onCleanup(() => {
    for (const e of entries) {
      const i = active.indexOf(e);
      if (i >= 0) active.splice(i, 1);
    }
    setListed(active.map((e) => e.shortcut));
  });
}

export function installShortcutListener() {
  window.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.isComposing) return;
    const typing = isTypingTarget(e.target as HTMLElement | null);
    // A dialog that is open keeps single-key shortcuts to itself.
    const inDialog = (e.target as HTMLElement | null)?.closest?.("[role=dialog]") !== null && document.querySelector("[role=dialog]");
    for (let i = active.length - 1; i >= 0; i--) {
      const { shortcut, combo } = active[i] as (typeof active)[number];
      if (!matches(combo, e, isMac)) continue;
      if (typing && !(shortcut.inFields && combo.mod)) continue;
      if (inDialog && !combo.mod && combo.key !== "escape") continue;
      e.preventDefault();
      shortcut.run(e);
      return;
    }
  });
}
