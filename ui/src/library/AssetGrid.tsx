import { createEffect, createMemo, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import type { Asset } from "../api/types.js";
import { Icon } from "../app/Icon.js";
import { gridLayout, itemPosition, moveIndex, needsMore, scrollToReveal, visibleRange } from "./grid-math.js";
import type { SelectMode } from "./selection.js";

export interface AssetGridProps {
  items: Asset[];
  hasMore: boolean;
  loading: boolean;
  selected: ReadonlySet<string>;
  label: string;
  onNeedMore: () => void;
  onSelect: (index: number, mode: SelectMode) => void;
  onOpen: (asset: Asset) => void;
}

const thumbOf = (a: Asset) => a.urls.files["thumb-256.webp"] ?? a.urls.files["thumb-256.avif"] ?? null;

/** A hue per asset for placeholders, so a grid of items without thumbnails still reads as separate tiles. */
const hueOf = (id: string) => Number.parseInt(id.replace(/-/g, "").slice(0, 6), 16) % 360;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/**
 * The virtualised asset grid: only the rows in view and two rows either side are in the DOM,
 * so 10 000 assets cost the same as 50. Keyboard: arrows, Home/End, PageUp/PageDown move;
 * Space selects, Shift extends, Enter opens.
 */
export function AssetGrid(props: AssetGridProps) {
  let scroller!: HTMLDivElement;
  const [width, setWidth] = createSignal(960);
  const [height, setHeight] = createSignal(640);
  const [scrollTop, setScrollTop] = createSignal(0);
  const [focus, setFocus] = createSignal(0);

  onMount(() => {
    const measure = () => {
      const style = getComputedStyle(scroller);
      setWidth(scroller.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight));
      setHeight(scroller.clientHeight);
    };
    const ro = new ResizeObserver(measure);
    ro.observe(scroller);
    measure();
    onCleanup(() => ro.disconnect());
  });

  let frame = 0;
  const onScroll = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      setScrollTop(scroller.scrollTop);
    });
  };
  onCleanup(() => cancelAnimationFrame(frame));

  const layout = createMemo(() => gridLayout(width(), { minTile: width() < 640 ? 128 : 168 }));
  const range = createMemo(() => visibleRange({ scrollTop: scrollTop(), viewportHeight: height(), count: props.items.length, layout: layout() }));
  const indexOf = createMemo(() => new Map(props.items.map((a, i) => [a.id, i])));
  const visible = createMemo(() => props.items.slice(range().start, range().end));

  createEffect(() => {
    if (!props.loading && needsMore(range(), props.items.length, props.hasMore)) props.onNeedMore();
  });

  // A new list (filters changed) starts at the top.
  createEffect((prev: Asset[] | undefined) => {
    const first = props.items[0];
    if (prev && prev[0] !== first && props.items.length <= 200 && scroller) {
      scroller.scrollTop = 0;
      setFocus(0);
    }
    return props.items;
  });

  const focusTile = (index: number) => {
    setFocus(index);
    scroller.scrollTop = scrollToReveal(index, scroller.scrollTop, scroller.clientHeight, layout());
    setScrollTop(scroller.scrollTop);
    queueMicrotask(() => scroller.querySelector<HTMLElement>(`[data-index="${index}"]`)?.focus({ preventScroll: true }));
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const count = props.items.length;
    const target = moveIndex(focus(), e.key, layout().columns, count, Math.max(1, Math.floor(height() / layout().rowHeight)));
    if (target !== null) {
      e.preventDefault();
      focusTile(target);
      if (e.shiftKey) props.onSelect(target, "range");
      return;
    }
    const asset = props.items[focus()];
    if (!asset) return;
    if (e.key === " ") {
      e.preventDefault();
      props.onSelect(focus(), e.shiftKey ? "range" : "toggle");
    } else if (e.key === "Enter") {
      e.preventDefault();
      props.onOpen(asset);
    }
  };

  const clickMode = (e: MouseEvent): SelectMode =>
    e.shiftKey ? (e.ctrlKey || e.metaKey ? "add-range" : "range") : e.ctrlKey || e.metaKey ? "toggle" : "single";

  return (
    <div
      ref={scroller}
      class="grid-scroller"
      onScroll={onScroll}
      role="listbox"
      aria-label={props.label}
      aria-multiselectable="true"
      aria-busy={props.loading}
      onKeyDown={onKeyDown}
    >
      <div class="grid-canvas" style={{ height: `${range().totalHeight}px` }}>
        <For each={visible()}>
          {(asset) => {
            const index = () => indexOf().get(asset.id) ?? 0;
            const pos = () => itemPosition(index(), layout());
            const selected = () => props.selected.has(asset.id);
            const thumb = () => thumbOf(asset);
            return (
              // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/useFocusableInteractive: the listbox handles the keyboard; tiles take a roving tabindex
              <div
                class="tile"
                classList={{ selected: selected(), processing: asset.status === "processing", failed: asset.status === "failed" }}
                role="option"
                aria-selected={selected()}
                aria-posinset={index() + 1}
                aria-setsize={props.hasMore ? -1 : props.items.length}
                aria-label={`${asset.name}${asset.status === "processing" ? ", processing" : asset.status === "failed" ? ", failed" : ""}`}
                tabindex={index() === focus() ? 0 : -1}
                data-index={index()}
                data-asset-id={asset.id}
                style={{ transform: `translate(${pos().left}px, ${pos().top}px)`, width: `${layout().tile}px` }}
                onClick={(e) => {
                  setFocus(index());
                  // The round check in the corner toggles, as on touch screens.
                  const onCheck = (e.target as HTMLElement).closest(".tile-check") !== null;
                  props.onSelect(index(), onCheck ? (e.shiftKey ? "add-range" : "toggle") : clickMode(e));
                }}
                onDblClick={() => props.onOpen(asset)}
              >
                <div class="tile-media" style={{ height: `${layout().tile}px`, "--hue": String(hueOf(asset.id)) }}>
                  <Show
                    when={thumb()}
                    fallback={
                      <div class="tile-placeholder">
                        <Show when={asset.status === "processing"} fallback={<Icon name={asset.status === "failed" ? "alert" : asset.kind} size={28} />}>
                          <span class="spinner" aria-hidden="true" />
                        </Show>
                      </div>
                    }
                  >
                    {(src) => <img src={src()} alt="" loading="lazy" decoding="async" draggable={false} />}
                  </Show>
                  <Show when={asset.kind !== "image"}>
                    <span class="tile-kind">
                      <Icon name={asset.kind} size={14} />
                      <Show when={asset.version?.durationMs}>{(ms) => <span>{formatDuration(ms())}</span>}</Show>
                    </span>
                  </Show>
                  <span class="tile-check" aria-hidden="true">
                    <Icon name="check" size={14} />
                  </span>
                </div>
                <div class="tile-caption" title={asset.error ? asset.error.message : asset.name}>
                  {asset.name}
                </div>
              </div>
            );
          }}
        </For>
      </div>
      <Show when={props.loading}>
        <div class="grid-loading" role="status">
          <span class="spinner" aria-hidden="true" /> Loading…
        </div>
      </Show>
    </div>
  );
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
