/**
 * The editor's undo/redo history: a list of entries and a cursor. Entry 0 is the original
 * (nothing applied); `commit` drops whatever was undone and appends. Immutable, so the editor
 * can keep it in a signal and tests can check every step.
 */
export interface HistoryEntry<T> {
  label: string;
  state: T;
}

export interface History<T> {
  entries: readonly HistoryEntry<T>[];
  index: number;
}

/** History whose first entry is the original. */
export function createHistory<T>(original: T, label = "Original"): History<T> {
  return { entries: [{ label, state: original }], index: 0 };
}

export function commit<T>(h: History<T>, label: string, state: T, limit = 200): History<T> {
  const kept = h.entries.slice(0, h.index + 1);
  kept.push({ label, state });
  // Keep the original and the newest `limit - 1` edits.
  const entries = kept.length > limit ? [kept[0] as HistoryEntry<T>, ...kept.slice(kept.length - limit + 1)] : kept;
  return { entries, index: entries.length - 1 };
}

export const canUndo = <T>(h: History<T>) => h.index > 0;
export const canRedo = <T>(h: History<T>) => h.index < h.entries.length - 1;

export function undo<T>(h: History<T>): History<T> {
  return canUndo(h) ? { entries: h.entries, index: h.index - 1 } : h;
}

export function redo<T>(h: History<T>): History<T> {
  return canRedo(h) ? { entries: h.entries, index: h.index + 1 } : h;
}

/** Jumps to an entry (clicking it in the history list). */
export function goTo<T>(h: History<T>, index: number): History<T> {
  return index >= 0 && index < h.entries.length ? { entries: h.entries, index } : h;
}

export function current<T>(h: History<T>): HistoryEntry<T> {
  return h.entries[h.index] as HistoryEntry<T>;
}
