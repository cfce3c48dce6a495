/**
 * The masks that need person segmentation: `person` (the selfie model's soft mask at full size) and
 * `hair` (see hair.ts), feathered like the landmark masks.
 */
import type { ModelRunOptions, PluginModels } from "@crealia/kernel/sdk";
import sharp from "sharp";
import type { Face } from "../detect/detector.js";
import type { RgbImage } from "../image.js";
import { hairMask } from "./hair.js";
import { personMask } from "./selfie.js";

export const SEGMENT_MASK_KINDS = ["person", "hair"] as const;
export type SegmentMaskKind = (typeof SEGMENT_MASK_KINDS)[number];

/** `feather` 1 blurs by 0.3 % of the shorter side (about 2 px at 720p): the selfie mask is soft already. */
export async function segmentMask(
  models: Pick<PluginModels, "get" | "run">,
  img: RgbImage,
  kind: SegmentMaskKind,
  /** Asked only for `hair`: the person mask alone needs no faces. */
  faces: () => Promise<readonly Face[]>,
  options: { feather?: number; run?: ModelRunOptions } = {},
): Promise<Uint8Array> {
  const { mask: person } = await personMask(models, img, options.run);
  const mask = kind === "person" ? person : await hairMask(img, person, await faces());
  const sigma = Math.max(0.3, (options.feather ?? 1) * 0.003 * Math.min(img.width, img.height));
  const data = await sharp(mask, { raw: { width: img.width, height: img.height, channels: 1 } })
    .blur(sigma)
    .extractChannel(0)
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
