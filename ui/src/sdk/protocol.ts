import type { HttpMethod, ToastKind } from "./types.js";

/**
 * The postMessage protocol between the studio and a sandboxed (third-party) panel. The frame
 * has an opaque origin (sandbox="allow-scripts", no same-origin): it holds no cookie and can
 * reach the kernel only through these messages, and the studio checks every one of them
 * before acting on it.
 */
export const FRAME_PROTOCOL = "crealia.panel/1";

/** Calls a frame may make, and what each takes. */
export type FrameCall =
  | { method: "api.request"; args: [method: HttpMethod, path: string, body?: unknown] }
  | { method: "toast"; args: [message: string, kind?: ToastKind] }
  | { method: "jobs.watch"; args: [jobId: string] }
  | { method: "jobs.unwatch"; args: [jobId: string] }
  | { method: "editor.setPreview"; args: [image: Blob | string | null] }
  | { method: "editor.commit"; args: [label: string, state: unknown] };

/** Frame → studio. */
export type FrameToHost =
  | { protocol: typeof FRAME_PROTOCOL; type: "ready" }
  | { protocol: typeof FRAME_PROTOCOL; type: "mounted" }
  | { protocol: typeof FRAME_PROTOCOL; type: "failed"; message: string }
  | { protocol: typeof FRAME_PROTOCOL; type: "resize"; height: number }
  | ({ protocol: typeof FRAME_PROTOCOL; type: "call"; id: number } & FrameCall);

export type FrameTopic = "asset" | "selection" | "theme" | "history" | "job";

/** Studio → frame. */
export type HostToFrame =
  | {
      protocol: typeof FRAME_PROTOCOL;
      type: "init";
      panel: { plugin: string; pluginVersion: string; id: string; slot: string; title: string };
      source: string;
      base: string;
      editor: boolean;
      state: { asset: unknown; selection: string[]; theme: string; history: unknown };
    }
  | { protocol: typeof FRAME_PROTOCOL; type: "result"; id: number; ok: true; value: unknown }
  | { protocol: typeof FRAME_PROTOCOL; type: "result"; id: number; ok: false; error: { code: string; message: string } }
  | { protocol: typeof FRAME_PROTOCOL; type: "event"; topic: FrameTopic; data: unknown };

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const TOAST_KINDS = new Set(["info", "success", "error"]);
const MAX_PATH = 2048;
const MAX_TEXT = 500;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isBlob = (v: unknown): v is Blob => typeof Blob !== "undefined" && v instanceof Blob;

/** A preview a frame may hand over: a Blob, a same-origin API URL, an image data URL, or null. */
export function isAllowedPreview(v: unknown): v is Blob | string | null {
  if (v === null || isBlob(v)) return true;
  if (typeof v !== "string" || v.length > 20_000_000) return false;
  return /^data:image\/(png|jpeg|webp|avif|gif);base64,/.test(v) || (v.startsWith("/api/") && isCleanPath(v));
}

/** No `..`, no encoded dots or slashes, no backslashes, no doubled slashes, no fragment. */
function isCleanPath(path: string): boolean {
  if (!path.startsWith("/") || path.startsWith("//") || path.length > MAX_PATH) return false;
  const pathname = path.split("?")[0] as string;
  if (/%2e|%2f|%5c|\\|#/i.test(path)) return false;
  if (pathname.includes("//")) return false;
  return !pathname.split("/").some((seg) => seg === "." || seg === "..");
}

/**
 * Whether a sandboxed panel of `plugin` may send this request: anything to its own plugin's
 * routes, and reads of assets and jobs. Everything else (identity, plugin management, other
 * plugins' routes, writes to assets) stays out of reach.
 */
export function isAllowedRequest(plugin: string, method: string, path: string): boolean {
  if (!METHODS.has(method) || typeof path !== "string" || !isCleanPath(path)) return false;
  const pathname = path.split("?")[0] as string;
  if (pathname.startsWith(`/api/p/${plugin}/`)) return true;
  if (method !== "GET") return false;
  return /^\/api\/(assets|jobs)(\/|$)/.test(pathname) && !pathname.startsWith("/api/jobs/events");
}

/**
 * Checks a message that claims to come from a panel frame. Returns it typed, or null when it
 * is not one of ours or is malformed in any way (the studio then ignores it).
 */
export function parseFrameMessage(data: unknown): FrameToHost | null {
  if (!isObject(data) || data.protocol !== FRAME_PROTOCOL || typeof data.type !== "string") return null;
  switch (data.type) {
    case "ready":
    case "mounted":
      return { protocol: FRAME_PROTOCOL, type: data.type };
    case "failed":
      return typeof data.message === "string" ? { protocol: FRAME_PROTOCOL, type: "failed", message: data.message.slice(0, MAX_TEXT) } : null;
    case "resize":
      return typeof data.height === "number" && Number.isFinite(data.height) && data.height >= 0
        ? { protocol: FRAME_PROTOCOL, type: "resize", height: Math.min(Math.round(data.height), 10_000) }
        : null;
    case "call":
      return parseCall(data);
    default:
      return null;
  }
}

function parseCall(data: Record<string, unknown>): FrameToHost | null {
  const { id, method, args } = data;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0 || !Array.isArray(args) || args.length > 3) return null;
  const base = { protocol: FRAME_PROTOCOL as typeof FRAME_PROTOCOL, type: "call" as const, id };
  switch (method) {
    case "api.request": {
      const [m, path, body] = args;
      if (typeof m !== "string" || !METHODS.has(m) || typeof path !== "string" || path.length > MAX_PATH) return null;
      return { ...base, method, args: [m as HttpMethod, path, body] };
    }
    case "toast": {
      const [message, kind] = args;
      if (typeof message !== "string" || !message.trim()) return null;
      if (kind !== undefined && (typeof kind !== "string" || !TOAST_KINDS.has(kind))) return null;
      return { ...base, method, args: [message.slice(0, MAX_TEXT), kind as ToastKind | undefined] };
    }
    case "jobs.watch":
    case "jobs.unwatch": {
      const [jobId] = args;
      if (typeof jobId !== "string" || !/^[A-Za-z0-9-]{1,64}$/.test(jobId)) return null;
      return { ...base, method, args: [jobId] };
    }
    case "editor.setPreview": {
      const [image] = args;
      return isAllowedPreview(image) ? { ...base, method, args: [image] } : null;
    }
    case "editor.commit": {
      const [label, state] = args;
      if (typeof label !== "string" || !label.trim() || label.length > 200) return null;
      return { ...base, method, args: [label, state] };
    }
    default:
      return null;
  }
}
