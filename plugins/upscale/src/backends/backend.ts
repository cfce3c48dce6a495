/**
 * The model-backend interface: what a job asks of whatever runs the model. A backend says what it
 * can do; a job type it cannot do is answered with 409 `UPSCALE_BACKEND_NOT_CONFIGURED` before
 * anything is queued. Nothing here makes up an image: with no backend there is no output.
 */
import type { RgbImage } from "../image.js";

export interface GenerateRequest {
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  steps?: number;
  seed?: number;
  cfgScale?: number;
}

export interface StyleRequest {
  image: RgbImage;
  prompt: string;
  negativePrompt?: string;
  /** 0..1: how far the result may move from the photo (img2img denoising strength). */
  strength: number;
  steps?: number;
  seed?: number;
}

export interface BackendCall {
  signal?: AbortSignal;
}

/** An upscaled tile, with how many requests shared the model call that made it (when the backend knows). */
export type UpscaledTile = RgbImage & { batchSize?: number };

export interface ModelBackend {
  /** `onnx:<model id>` or `sdwebui:<url>`: goes in job results. */
  readonly id: string;
  readonly capabilities: { upscale: readonly number[]; generate: boolean; style: boolean };
  /** Pixels of context the upscaler consumes around each tile (the tiler adds them; the result covers the tile without them). */
  readonly context?: number;
  /** Tiles worth having in flight at once: the model's batch size, so concurrent tiles run as one call (default 1). */
  readonly tileBatch?: number;
  /** Upscales one tile by `scale` exactly (the tiler blends tiles). */
  upscaleTile?(tile: RgbImage, scale: number, call: BackendCall): Promise<UpscaledTile>;
  generate?(req: GenerateRequest, call: BackendCall): Promise<Buffer>;
  style?(req: StyleRequest, call: BackendCall): Promise<Buffer>;
}

export type Capability = "upscale" | "generate" | "style";
