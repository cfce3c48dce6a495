import { createFrameBridge } from "./frame-bridge.js";
import { frameRuntime } from "./frame-runtime.js";
import panelFormCss from "./panel-form.css?raw";
import { PANEL_SDK_VERSION, type PanelSdk, type Unmount } from "./types.js";
import { untilJobEnded } from "./until-ended.js";

/**
 * The frame's whole document: a root element, the base styles (the panel form classes
 * included) and the runtime, inlined (the frame can load nothing from the studio's origin).
 */
export function frameDocument(): string {
  const css = `html,body{margin:0;font:14px/1.45 system-ui,sans-serif;background:transparent;color:CanvasText}body{display:flow-root}*{box-sizing:border-box}\n${panelFormCss}`;
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css}</style></head><body><div id="root"></div><script>(${frameRuntime.toString()})(window, { version: ${JSON.stringify(PANEL_SDK_VERSION)}, untilJobEnded: (${untilJobEnded.toString()}) });</script></body></html>`;
}

/**
 * Mounts a third-party panel in a sandboxed iframe (`allow-scripts` only: opaque origin, no
 * cookies, no access to the studio's DOM). The studio fetches the module's text and hands it
 * over; from then on the panel talks to the studio only through the checked bridge.
 */
export async function mountFramePanel(element: HTMLElement, url: string, sdk: PanelSdk, onError: (message: string) => void): Promise<Unmount> {
  const res = await fetch(url, { credentials: "same-origin" });
  if (!res.ok) throw new Error(`the panel's file answered HTTP ${res.status}`);
  const source = await res.text();
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.setAttribute("title", `${sdk.panel.title} (plugin ${sdk.panel.plugin}, sandboxed)`);
  frame.className = "panel-frame";
  frame.srcdoc = frameDocument();
  const bridge = createFrameBridge({
    sdk,
    source,
    post: (message) => frame.contentWindow?.postMessage(message, "*"),
    onFailed: onError,
    onResize: (height) => {
      frame.style.height = `${Math.max(height, 40)}px`;
    },
  });
  const onMessage = (event: MessageEvent) => {
    if (event.source !== frame.contentWindow) return;
    void bridge.handle(event.data);
  };
  window.addEventListener("message", onMessage);
  element.append(frame);
  return () => {
    window.removeEventListener("message", onMessage);
    bridge.dispose();
    frame.remove();
  };
}
