import { buffer } from "node:stream/consumers";
import type { PluginContext } from "@crealia/kernel/sdk";
import type { Capability, ModelBackend } from "./backends/backend.js";
import { onnxBackend } from "./backends/onnx.js";
import { sdWebUiBackend } from "./backends/sdwebui.js";
import { upscaleError } from "./errors.js";
import { decodeRgb, type RgbImage } from "./image.js";

export type UpscaleCtx = Pick<PluginContext, "assets" | "models" | "jobs" | "log" | "settings" | "secrets">;

export interface UpscaleSettings {
  backend: "auto" | "none" | "onnx" | "sdwebui";
  onnx?: { upscaleModel?: string; styleModel?: string };
  sdwebui?: { url?: string; upscaler?: string; timeoutMs?: number; steps?: number; sampler?: string };
  tileSize?: number;
  tileOverlap?: number;
}

const HOW = {
  upscale: 'set the tenant setting "backend" to "onnx" with "onnx.upscaleModel" (a registry model of task upscaling), or to "sdwebui" with "sdwebui.url"',
  generate: 'set the tenant setting "backend" to "sdwebui" with "sdwebui.url" (a Stable Diffusion WebUI started with --api); the ONNX backend cannot generate',
  style: 'set the tenant setting "backend" to "sdwebui" with "sdwebui.url", or to "onnx" with "onnx.styleModel" (a registry style-transfer model)',
} as const;

/** The ONNX model a capability runs on (none for generate: the ONNX backend cannot generate). */
export function onnxModelFor(settings: UpscaleSettings, capability: Capability): string | undefined {
  return capability === "upscale" ? settings.onnx?.upscaleModel : capability === "style" ? settings.onnx?.styleModel : undefined;
}

function notConfigured(capability: Capability, why: string) {
  return upscaleError("UPSCALE_BACKEND_NOT_CONFIGURED", `no model backend can ${capability} for this tenant (${why}): ${HOW[capability]}`, { capability });
}

/** `auto` falls back to no backend while its model is not fetched: say which command fixes that. */
function autoWithoutModel(capability: Capability, modelId: string) {
  const fetch = `crealia models fetch ${modelId}`;
  return upscaleError(
    "UPSCALE_BACKEND_NOT_CONFIGURED",
    `no model backend can ${capability} for this tenant yet: backend "auto" uses the ONNX model "${modelId}", which is not installed: run \`${fetch}\` on the server, or choose another backend in the Upscale plugin's settings`,
    { capability, modelId, fetch },
  );
}

/**
 * The tenant's backend for `capability`, or the reason there is none: 409
 * `UPSCALE_BACKEND_NOT_CONFIGURED`, or the kernel's 409 `KERNEL_MODEL_NOT_INSTALLED` for an ONNX
 * model that was not fetched. `auto` (the default) is the ONNX backend when its model for the
 * capability is on disk, and no backend otherwise: fetching the model is all it takes.
 */
export async function resolveBackend(
  ctx: UpscaleCtx,
  tenantId: string,
  capability: Capability,
  jobType?: string,
): Promise<{ backend: ModelBackend; settings: UpscaleSettings }> {
  const settings = await ctx.settings.get<UpscaleSettings>(tenantId);
  if (settings.backend === "onnx" || settings.backend === "auto") {
    const auto = settings.backend === "auto";
    const modelId = onnxModelFor(settings, capability);
    if (capability === "generate")
      throw notConfigured(capability, auto ? 'backend "auto" runs ONNX models, which cannot generate' : "the ONNX backend has no image generation");
    if (!modelId) throw notConfigured(capability, `backend "${settings.backend}" without onnx.${capability}Model`);
    const backend = onnxBackend(ctx.models, { [capability === "upscale" ? "upscaleModel" : "styleModel"]: modelId, jobType });
    // A damaged file still selects ONNX, so the job reports the checksum and how to fetch it again.
    if (auto && (await ctx.models.status(modelId)) === "missing") throw autoWithoutModel(capability, modelId);
    await ctx.models.require(modelId);
    return { backend, settings };
  }
  if (settings.backend === "sdwebui") {
    const s = settings.sdwebui ?? {};
    if (!s.url) throw notConfigured(capability, 'backend "sdwebui" without sdwebui.url');
    const auth = await ctx.secrets.get(tenantId, "sdwebuiAuth");
    return { backend: sdWebUiBackend({ url: s.url, auth, upscaler: s.upscaler, timeoutMs: s.timeoutMs, steps: s.steps, sampler: s.sampler }), settings };
  }
  throw notConfigured(capability, 'backend "none"');
}

export async function imageVersion(ctx: UpscaleCtx, tenantId: string, assetId: string, version?: number) {
  const asset = await ctx.assets.get(tenantId, assetId);
  if (!asset) throw upscaleError("UPSCALE_ASSET_NOT_FOUND", `no asset ${assetId}`);
  if (asset.kind !== "image") throw upscaleError("UPSCALE_NOT_AN_IMAGE", `asset ${assetId} is a ${asset.kind}, not an image`);
  if (version !== undefined && (version < 1 || version > asset.currentVersion))
    throw upscaleError("UPSCALE_ASSET_NOT_FOUND", `asset ${assetId} has no version ${version}`);
  return { version: version ?? asset.currentVersion, width: asset.width, height: asset.height, name: asset.name };
}

export async function loadPixels(ctx: UpscaleCtx, tenantId: string, assetId: string, version: number): Promise<RgbImage & { format: string }> {
  const { stream, mime } = await ctx.assets.open(tenantId, assetId, { version });
  const bytes = await buffer(stream);
  try {
    return { ...(await decodeRgb(bytes)), format: mime.split("/")[1] ?? "jpeg" };
  } catch (err) {
    throw upscaleError("UPSCALE_IMAGE_UNREADABLE", `asset ${assetId} version ${version} could not be decoded: ${(err as Error).message}`);
  }
}
