/**
 * Keyboard shortcut combos: "mod+z" (Ctrl, or ⌘ on a Mac), "shift+mod+z", "?", "\\", "delete".
 * Parsing and matching are pure so they can be tested without a browser.
 */
export interface Combo {
  key: string;
  mod: boolean;
  shift: boolean;
  alt: boolean;
}

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export function parseCombo(text: string): Combo {
  const parts = text.toLowerCase().split("+");
  const key = parts.pop() || "+";
  return { key, mod: parts.includes("mod"), shift: parts.includes("shift"), alt: parts.includes("alt") };
}

const KEY_ALIASES: Record<string, string> = { del: "delete", esc: "escape", " ": "space", spacebar: "space" };

/** Whether a key event is this combo. Shift is ignored for symbols typed with it ("?", "+"). */
export function matches(combo: Combo, e: KeyLike, isMac: boolean): boolean {
  const key = KEY_ALIASES[e.key.toLowerCase()] ?? e.key.toLowerCase();
  if (key !== combo.key) return false;
  const mod = isMac ? e.metaKey : e.ctrlKey;
  if (mod !== combo.mod || e.altKey !== combo.alt) return false;
  const symbol = combo.key.length === 1 && !/[a-z0-9]/.test(combo.key);
  return symbol ? true : e.shiftKey === combo.shift;
}

/** How a combo reads in the shortcuts list and tooltips. */
export function describeCombo(text: string, isMac: boolean): string {
  const c = parseCombo(text);
  const names: Record<string, string> = {
    delete: "Delete",
    escape: "Esc",
    arrowleft: "←",
    arrowright: "→",
    arrowup: "↑",
    arrowdown: "↓",
    enter: "Enter",
    space: "Space",
  };
  const parts: string[] = [];
  if (c.mod) parts.push(isMac ? "⌘" : "Ctrl");
  if (c.alt) parts.push(isMac ? "⌥" : "Alt");
  if (c.shift) parts.push(isMac ? "⇧" : "Shift");
  parts.push(names[c.key] ?? c.key.toUpperCase());
  return parts.join(isMac ? "" : "+");
}

/** Typing in a field never triggers single-key shortcuts. */
export function isTypingTarget(target: { tagName?: string; isContentEditable?: boolean; type?: string } | null): boolean {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = (target.tagName ?? "").toLowerCase();
  if (tag === "textarea" || tag === "select") return true;
  if (tag !== "input") return false;
  return !["checkbox", "radio", "button", "range", "submit", "reset", "color", "file"].includes((target.type ?? "text").toLowerCase());
}
