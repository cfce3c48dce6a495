/** Multi-select as in a file manager: click, Ctrl/Cmd-click to toggle, Shift-click for a range. */
export interface SelectionState {
  selected: ReadonlySet<string>;
  /** Where a Shift range starts: the last item clicked without Shift. */
  anchor: number | null;
}

export type SelectMode = "single" | "toggle" | "range" | "add-range";

export const emptySelection: SelectionState = { selected: new Set(), anchor: null };

/** `ids` is the list in display order; `index` the item clicked. */
export function select(state: SelectionState, ids: readonly string[], index: number, mode: SelectMode): SelectionState {
  const id = ids[index];
  if (id === undefined) return state;
  if (mode === "single") return { selected: new Set([id]), anchor: index };
  if (mode === "toggle") {
    const next = new Set(state.selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return { selected: next, anchor: index };
  }
  const anchor = state.anchor ?? index;
  const [from, to] = anchor <= index ? [anchor, index] : [index, anchor];
  const next = mode === "add-range" ? new Set(state.selected) : new Set<string>();
  for (let i = from; i <= to; i++) {
    const v = ids[i];
    if (v !== undefined) next.add(v);
  }
  return { selected: next, anchor };
}

export function selectAll(ids: readonly string[]): SelectionState {
  return { selected: new Set(ids), anchor: ids.length ? 0 : null };
}

/** Drops ids that are no longer listed (after a filter change or a delete). */
export function keepListed(state: SelectionState, ids: readonly string[]): SelectionState {
  const listed = new Set(ids);
  const selected = new Set([...state.selected].filter((id) => listed.has(id)));
  return selected.size === state.selected.size ? state : { selected, anchor: null };
}
