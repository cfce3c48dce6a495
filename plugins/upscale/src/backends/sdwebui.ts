/**
 * HTTP backend for a self-hosted Stable Diffusion WebUI (AUTOMATIC1111 / Forge) started with
 * `--api`, following its published API:
 * - `POST /sdapi/v1/extra-single-image` `{ image, upscaling_resize, upscaler_1, resize_mode: 0 }` → `{ image, html_info }`
 * - `POST /sdapi/v1/txt2img` `{ prompt, negative_prompt, width, height, steps, seed, cfg_scale, sampler_name }` → `{ images: [b64], info }`
 * - `POST /sdapi/v1/img2img` `{ init_images: [b64], prompt, denoising_strength, width, height, … }` → `{ images: [b64], info }`
 * - `GET /sdapi/v1/upscalers` → `[{ name, … }]`
 * Images travel as base64 PNG. Errors: FastAPI's 422 `{ detail: [...] }`, the WebUI's 500
 * `{ error, detail, body, errors }`, 401 with `--api-auth` (HTTP Basic) and wrong credentials.
 */
import sharp from "sharp";
import { upscaleError } from "../errors.js";
import { decodeRgb, encodePng, type RgbImage } from "../image.js";
import type { BackendCall, GenerateRequest, ModelBackend, StyleRequest } from "./backend.js";

export interface SdWebUiOptions {
  url: string;
  /** `user:password` of the server's `--api-auth`. */
  auth?: string | null;
  upscaler?: string;
  timeoutMs?: number;
  steps?: number;
  sampler?: string;
  fetch?: typeof fetch;
}

function describe(body: unknown): string {
  if (!body || typeof body !== "object") return String(body ?? "").slice(0, 300);
  const b = body as { error?: unknown; detail?: unknown; errors?: unknown };
  const detail = Array.isArray(b.detail) ? b.detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join(".")}: ${d.msg}`).join("; ") : b.detail;
  return [b.error, detail, b.errors]
    .filter((v) => v !== undefined && v !== null && v !== "")
    .map(String)
    .join(": ")
    .slice(0, 500);
}

/** `ECONNREFUSED`, `ENOTFOUND`, "bad port"…: what fetch's "fetch failed" hides in its cause. */
function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return [(err as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(": ");
}

export function sdWebUiBackend(options: SdWebUiOptions): ModelBackend {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;

  async function call<T>(method: "GET" | "POST", path: string, body: unknown, c: BackendCall): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 300_000);
    const signal = c.signal ? AbortSignal.any([c.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (err) {
      if (c.signal?.aborted) throw err;
      throw upscaleError(
        "UPSCALE_BACKEND_UNREACHABLE",
        `${base}${path}: ${timeout.aborted ? `no answer within ${options.timeoutMs ?? 300_000} ms` : reason(err)}`,
      );
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    if (res.status === 401 || res.status === 403)
      throw upscaleError(
        "UPSCALE_BACKEND_AUTH",
        `${base}${path} refused the credentials (${res.status}): set the secret sdwebuiAuth to the server's --api-auth user:password`,
      );
    if (res.status >= 400 && res.status < 500)
      throw upscaleError("UPSCALE_BACKEND_REJECTED", `${base}${path} refused the request (${res.status}): ${describe(json)}`, { status: res.status });
    if (res.status >= 500) throw upscaleError("UPSCALE_BACKEND_FAILED", `${base}${path} failed (${res.status}): ${describe(json)}`, { status: res.status });
    return json as T;
  }

  const image = async (b64: unknown, what: string): Promise<Buffer> => {
    if (typeof b64 !== "string" || b64.length === 0) throw upscaleError("UPSCALE_BACKEND_BAD_OUTPUT", `${what}: the answer has no image`);
    const bytes = Buffer.from(b64.replace(/^data:image\/\w+;base64,/, ""), "base64");
    try {
      await sharp(bytes).metadata();
    } catch {
      throw upscaleError("UPSCALE_BACKEND_BAD_OUTPUT", `${what}: the answer's image cannot be decoded`);
    }
    return bytes;
  };

  return {
    id: `sdwebui:${base}`,
    capabilities: { upscale: [2, 3, 4], generate: true, style: true },
    async upscaleTile(tile: RgbImage, scale: number, c: BackendCall): Promise<RgbImage> {
      const res = await call<{ image?: string }>(
        "POST",
        "/sdapi/v1/extra-single-image",
        {
          image: (await encodePng(tile)).toString("base64"),
          resize_mode: 0,
          upscaling_resize: scale,
          upscaler_1: options.upscaler ?? "R-ESRGAN 4x+",
          show_extras_results: true,
        },
        c,
      );
      const out = await decodeRgb(await image(res.image, "extra-single-image"));
      if (out.width !== tile.width * scale || out.height !== tile.height * scale) {
        throw upscaleError(
          "UPSCALE_BACKEND_BAD_OUTPUT",
          `extra-single-image returned ${out.width}×${out.height} for a ${tile.width}×${tile.height} tile at ${scale}×`,
        );
      }
      return out;
    },
    async generate(req: GenerateRequest, c: BackendCall): Promise<Buffer> {
      const res = await call<{ images?: string[] }>(
        "POST",
        "/sdapi/v1/txt2img",
        {
          prompt: req.prompt,
          negative_prompt: req.negativePrompt ?? "",
          width: req.width,
          height: req.height,
          steps: req.steps ?? options.steps ?? 25,
          seed: req.seed ?? -1,
          cfg_scale: req.cfgScale ?? 7,
          sampler_name: options.sampler ?? "Euler a",
          batch_size: 1,
          n_iter: 1,
        },
        c,
      );
      return image(res.images?.[0], "txt2img");
    },
    async style(req: StyleRequest, c: BackendCall): Promise<Buffer> {
      const res = await call<{ images?: string[] }>(
        "POST",
        "/sdapi/v1/img2img",
        {
          init_images: [(await encodePng(req.image)).toString("base64")],
          prompt: req.prompt,
          negative_prompt: req.negativePrompt ?? "",
          denoising_strength: req.strength,
          width: req.image.width,
          height: req.image.height,
          resize_mode: 0,
          steps: req.steps ?? options.steps ?? 25,
          seed: req.seed ?? -1,
          sampler_name: options.sampler ?? "Euler a",
          batch_size: 1,
          n_iter: 1,
        },
        c,
      );
      return image(res.images?.[0], "img2img");
    },
  };
}

/** `GET /sdapi/v1/upscalers`: whether the server answers, and the upscalers it has. */
export async function sdWebUiUpscalers(options: SdWebUiOptions, signal?: AbortSignal): Promise<string[]> {
  const base = options.url.replace(/\/+$/, "");
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
  let res: Response;
  try {
    res = await (options.fetch ?? globalThis.fetch)(`${base}/sdapi/v1/upscalers`, { headers, signal: signal ?? AbortSignal.timeout(5000) });
  } catch (err) {
    throw upscaleError("UPSCALE_BACKEND_UNREACHABLE", `${base}/sdapi/v1/upscalers: ${reason(err)}`);
  }
  if (res.status === 401 || res.status === 403) throw upscaleError("UPSCALE_BACKEND_AUTH", `${base} refused the credentials (${res.status})`);
  if (!res.ok) throw upscaleError("UPSCALE_BACKEND_FAILED", `${base}/sdapi/v1/upscalers answered ${res.status}`);
  const list = (await res.json()) as { name?: string }[];
  return Array.isArray(list) ? list.map((u) => String(u.name)) : [];
}
