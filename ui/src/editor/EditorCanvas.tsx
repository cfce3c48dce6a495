import { createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import { fitView, panBy, type View, wheelFactor, zoomAt, zoomTo } from "./viewport.js";

export type CompareMode = "after" | "before" | "split";

export interface CanvasControls {
  zoomIn(): void;
  zoomOut(): void;
  fit(): void;
  actualSize(): void;
}

/** Loads an image URL; resolves null when it cannot be decoded (the caller says so in words). */
function loadImage(src: string): Promise<HTMLImageElement | null> {
  return new Promise((resolve) => {
    const img = new Image();
    img.decoding = "async";
    img.onload = () => resolve(img);
    img.onerror = () => resolve(null);
    img.src = src;
  });
}

/**
 * The editor's canvas: the "before" image (the asset) and the "after" image (the preview a
 * tool set), drawn with zoom and pan; before/after shows either, or both split by a divider.
 */
export function EditorCanvas(props: {
  before: string;
  after: string | null;
  width: number | null;
  height: number | null;
  mode: CompareMode;
  label: string;
  onView: (view: View) => void;
  onError: (message: string) => void;
  controls: (c: CanvasControls) => void;
}) {
  let box!: HTMLDivElement;
  let canvas!: HTMLCanvasElement;
  const [size, setSize] = createSignal({ w: 800, h: 600 });
  const [view, setView] = createSignal<View>({ scale: 1, x: 0, y: 0 });
  const [before, setBefore] = createSignal<HTMLImageElement | null>(null);
  const [after, setAfter] = createSignal<HTMLImageElement | null>(null);
  const [split, setSplit] = createSignal(0.5);
  const [loading, setLoading] = createSignal(true);
  let userMoved = false;

  const imageSize = () => {
    const b = before();
    return { w: props.width ?? b?.naturalWidth ?? 1, h: props.height ?? b?.naturalHeight ?? 1 };
  };

  const fit = () => {
    const im = imageSize();
    userMoved = false;
    setView(fitView(im.w, im.h, size().w, size().h));
  };

  createEffect(
    on(
      () => props.before,
      async (src) => {
        setLoading(true);
        const img = await loadImage(src);
        setLoading(false);
        if (!img) return props.onError("The image couldn't be displayed: the browser can't decode this file.");
        setBefore(img);
        fit();
      },
    ),
  );
  createEffect(
    on(
      () => props.after,
      async (src) => {
        if (!src) return setAfter(null);
        const img = await loadImage(src);
        if (!img) props.onError("The tool's preview couldn't be displayed.");
        else if (src === props.after) setAfter(img);
      },
    ),
  );

  onMount(() => {
    const ro = new ResizeObserver(() => {
      setSize({ w: box.clientWidth, h: box.clientHeight });
      if (!userMoved) fit();
    });
    ro.observe(box);
    onCleanup(() => ro.disconnect());
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      userMoved = true;
      setView((v) => zoomAt(v, wheelFactor(e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY), e.clientX - r.left, e.clientY - r.top));
    };
    canvas.addEventListener("wheel", wheel, { passive: false });
    onCleanup(() => canvas.removeEventListener("wheel", wheel));
  });

  const centre = () => ({ x: size().w / 2, y: size().h / 2 });
  props.controls({
    zoomIn: () => {
      userMoved = true;
      setView((v) => zoomAt(v, 1.25, centre().x, centre().y));
    },
    zoomOut: () => {
      userMoved = true;
      setView((v) => zoomAt(v, 0.8, centre().x, centre().y));
    },
    fit,
    actualSize: () => {
      userMoved = true;
      setView((v) => zoomTo(v, 1, centre().x, centre().y));
    },
  });

  createEffect(() => props.onView(view()));

  // Draw whenever anything drawn changes.
  createEffect(() => {
    const { w, h } = size();
    const v = view();
    const b = before();
    const a = after();
    const mode = props.mode;
    const s = split();
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!b) return;
    const im = imageSize();
    ctx.imageSmoothingQuality = "high";
    ctx.save();
    ctx.translate(v.x, v.y);
    ctx.scale(v.scale, v.scale);
    const shown = mode === "before" ? b : (a ?? b);
    ctx.drawImage(shown, 0, 0, im.w, im.h);
    if (mode === "split") {
      ctx.beginPath();
      ctx.rect(0, 0, im.w * s, im.h);
      ctx.clip();
      ctx.drawImage(b, 0, 0, im.w, im.h);
    }
    ctx.restore();
    if (mode === "split") {
      const x = v.x + im.w * s * v.scale;
      ctx.fillStyle = "rgba(255,255,255,0.9)";
      ctx.fillRect(Math.round(x) - 1, Math.max(0, v.y), 2, Math.min(h, im.h * v.scale));
      ctx.font = "600 12px system-ui, sans-serif";
      ctx.fillStyle = "rgba(0,0,0,0.6)";
      ctx.fillRect(x - 70, Math.max(8, v.y + 8), 62, 22);
      ctx.fillRect(x + 8, Math.max(8, v.y + 8), 54, 22);
      ctx.fillStyle = "#fff";
      ctx.fillText("Before", x - 62, Math.max(8, v.y + 8) + 15);
      ctx.fillText("After", x + 16, Math.max(8, v.y + 8) + 15);
    }
  });

  // Dragging pans (or, near the split divider, moves it).
  let drag: { x: number; y: number; divider: boolean } | null = null;
  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    canvas.setPointerCapture(e.pointerId);
    const r = canvas.getBoundingClientRect();
    const v = view();
    const dividerX = v.x + imageSize().w * split() * v.scale;
    drag = { x: e.clientX, y: e.clientY, divider: props.mode === "split" && Math.abs(e.clientX - r.left - dividerX) < 12 };
  };
  const onPointerMove = (e: PointerEvent) => {
    if (!drag) return;
    if (drag.divider) {
      const r = canvas.getBoundingClientRect();
      const v = view();
      setSplit(Math.max(0, Math.min(1, (e.clientX - r.left - v.x) / (imageSize().w * v.scale))));
      return;
    }
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    drag.x = e.clientX;
    drag.y = e.clientY;
    userMoved = true;
    setView((v) => panBy(v, dx, dy, imageSize(), size()));
  };
  const onPointerUp = () => {
    drag = null;
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 120 : 40;
    const d: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const move = d[e.key];
    if (!move) return;
    e.preventDefault();
    userMoved = true;
    setView((v) => panBy(v, move[0], move[1], imageSize(), size()));
  };

  return (
    <div ref={box} class="canvas-box" aria-busy={loading()}>
      <canvas
        ref={canvas}
        class="editor-canvas"
        role="img"
        tabindex="0"
        aria-label={props.label}
        data-mode={props.mode}
        data-zoom={view().scale.toFixed(4)}
        data-preview={after() ? "set" : "none"}
        style={{ width: `${size().w}px`, height: `${size().h}px` }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onDblClick={(e) => {
          const r = canvas.getBoundingClientRect();
          userMoved = true;
          setView((v) => (v.scale < 0.99 ? zoomTo(v, 1, e.clientX - r.left, e.clientY - r.top) : fitView(imageSize().w, imageSize().h, size().w, size().h)));
        }}
        onKeyDown={onKeyDown}
      />
      {loading() && (
        <div class="canvas-loading" role="status">
          <span class="spinner large" aria-hidden="true" /> Loading image…
        </div>
      )}
    </div>
  );
}
