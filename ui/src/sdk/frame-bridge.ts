import { FRAME_PROTOCOL, type FrameToHost, type HostToFrame, isAllowedRequest, parseFrameMessage } from "./protocol.js";
import type { PanelSdk, Unsubscribe } from "./types.js";

export interface FrameBridgeOptions {
  /** The full SDK the studio built for this panel; the bridge exposes only what the protocol allows. */
  sdk: PanelSdk;
  /** The panel module's source text, handed to the frame to import. */
  source: string;
  /** Sends a message into the frame. */
  post: (message: HostToFrame) => void;
  onMounted?: () => void;
  onFailed?: (message: string) => void;
  onResize?: (height: number) => void;
}

export interface FrameBridge {
  /** Feed every message that came from the frame's window (and only those). */
  handle(data: unknown): Promise<void>;
  dispose(): void;
}

const refused = (message: string, code = "KERNEL_FORBIDDEN") => ({ code, message });

/**
 * The studio's end of a sandboxed panel: answers the frame's calls after checking each one
 * (`parseFrameMessage`, `isAllowedRequest`) and pushes the state the panel observes.
 */
export function createFrameBridge(options: FrameBridgeOptions): FrameBridge {
  const { sdk, post } = options;
  const subscriptions: Unsubscribe[] = [];
  const jobWatches = new Map<string, Unsubscribe>();
  let initialised = false;
  let disposed = false;

  const event = (topic: "asset" | "selection" | "theme" | "history" | "job", data: unknown) => {
    if (!disposed) post({ protocol: FRAME_PROTOCOL, type: "event", topic, data });
  };

  const init = () => {
    if (initialised) return;
    initialised = true;
    const { plugin, pluginVersion, id, slot, title } = sdk.panel;
    post({
      protocol: FRAME_PROTOCOL,
      type: "init",
      panel: { plugin, pluginVersion, id, slot, title },
      source: options.source,
      base: sdk.api.base,
      editor: sdk.editor !== null,
      state: { asset: sdk.asset.current(), selection: sdk.selection.current(), theme: sdk.theme.current(), history: sdk.editor?.history.current() ?? null },
    });
    // subscribe() reports the current value first; the frame has it already from init.
    const forward = <T>(topic: "asset" | "selection" | "theme" | "history", source: { subscribe(fn: (v: T) => void): Unsubscribe }) => {
      let first = true;
      subscriptions.push(
        source.subscribe((v) => {
          if (first) first = false;
          else event(topic, v);
        }),
      );
    };
    forward("asset", sdk.asset);
    forward("selection", sdk.selection);
    forward("theme", sdk.theme);
    if (sdk.editor) forward("history", sdk.editor.history);
  };

  const answer = async (call: Extract<FrameToHost, { type: "call" }>): Promise<unknown> => {
    switch (call.method) {
      case "api.request": {
        const [method, path, body] = call.args;
        if (!isAllowedRequest(sdk.panel.plugin, method, path)) throw refused(`a sandboxed panel may not call ${method} ${path.split("?")[0]}`);
        return sdk.api.request(method, path, body);
      }
      case "toast":
        sdk.toast(`${sdk.panel.title}: ${call.args[0]}`, call.args[1]);
        return null;
      case "jobs.watch": {
        const [jobId] = call.args;
        if (!jobWatches.has(jobId))
          jobWatches.set(
            jobId,
            sdk.jobs.watch(jobId, (job) => event("job", job)),
          );
        return null;
      }
      case "jobs.unwatch":
        jobWatches.get(call.args[0])?.();
        jobWatches.delete(call.args[0]);
        return null;
      case "editor.setPreview":
        if (!sdk.editor) throw refused("this panel is not in the editor");
        sdk.editor.setPreview(call.args[0]);
        return null;
      case "editor.commit":
        if (!sdk.editor) throw refused("this panel is not in the editor");
        sdk.editor.commit(call.args[0], call.args[1]);
        return null;
    }
  };

  return {
    async handle(data) {
      if (disposed) return;
      const message = parseFrameMessage(data);
      if (!message) return;
      switch (message.type) {
        case "ready":
          return init();
        case "mounted":
          return options.onMounted?.();
        case "failed":
          return options.onFailed?.(message.message);
        case "resize":
          return options.onResize?.(message.height);
        case "call": {
          if (!initialised) return;
          try {
            const value = await answer(message);
            if (!disposed) post({ protocol: FRAME_PROTOCOL, type: "result", id: message.id, ok: true, value });
          } catch (err) {
            const e = err as { code?: unknown; message?: unknown };
            const error = {
              code: typeof e.code === "string" ? e.code : "PANEL_CALL_FAILED",
              message: typeof e.message === "string" ? e.message : "the call failed",
            };
            if (!disposed) post({ protocol: FRAME_PROTOCOL, type: "result", id: message.id, ok: false, error });
          }
        }
      }
    },
    dispose() {
      disposed = true;
      for (const off of subscriptions) off();
      for (const off of jobWatches.values()) off();
      jobWatches.clear();
    },
  };
}
