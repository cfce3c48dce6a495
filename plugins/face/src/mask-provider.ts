/**
 * Face masks for the filters plugin's `filters.mask` extension point: `face/faces`, `face/skin`,
 * `face/eyes`, `face/mouth`, `face/lips`, `face/teeth`, and from person segmentation (`selfie`)
 * `face/person` and `face/hair`. The photo arrives as upright 8-bit RGB at whatever size filters
 * renders; detections stored for that asset version are scaled to it, otherwise BlazeFace (and the
 * face mesh, when it was fetched) runs on the pixels given. The selfie model always runs on them.
 */
import type { PluginContext } from "@crealia/kernel/sdk";
import { type Face, type FaceModelChoice, scaleFaces } from "./detect/detector.js";
import { type FaceMaskKind, faceMask, MASK_KINDS } from "./retouch/masks.js";
import { SEGMENT_MASK_KINDS, type SegmentMaskKind, segmentMask } from "./segment/masks.js";
import { detectWithLandmarks, irisInstalled, meshInstalled } from "./service.js";
import { DetectionStore } from "./store.js";

/** The contract of `filters.mask` (declared by the filters plugin). */
export interface FiltersMaskProvider {
  name: string;
  label?: string;
  description?: string;
  build(input: {
    pixels: Uint8Array;
    width: number;
    height: number;
    params: Record<string, unknown>;
    tenantId?: string;
    assetId?: string;
    version?: number;
    signal?: AbortSignal;
  }): Promise<Uint8Array>;
}

const LABELS: Record<FaceMaskKind | SegmentMaskKind, [string, string]> = {
  faces: ["Faces", "Every face, forehead to chin, feathered"],
  skin: ["Face skin", "Faces without eyes and mouth: for smoothing and skin tone"],
  eyes: ["Eyes", "Both eyes of every face"],
  mouth: ["Mouth", "Lips and teeth of every face"],
  lips: ["Lips", "The lips without the opening between them (needs landmarks: else the whole mouth)"],
  teeth: ["Teeth", "The opening between the lips (needs landmarks: else the whole mouth)"],
  person: ["Person", "Everyone in the photo, hair and clothes included (selfie segmentation; needs the `selfie` model)"],
  hair: ["Hair", "Hair around each face, down to the chin (segmentation and faces; needs the `selfie` model)"],
};

export function maskProviders(ctx: Pick<PluginContext, "db" | "models">): FiltersMaskProvider[] {
  const store = new DetectionStore(ctx.db);
  const facesFor = async (input: Parameters<FiltersMaskProvider["build"]>[0]): Promise<Face[]> => {
    if (input.tenantId && input.assetId && input.version) {
      const found = await store.find(input.tenantId, input.assetId, input.version);
      // Same aspect: the stored detection is of this photo, at another size.
      if (found && Math.abs(found.width / found.height - input.width / input.height) < 0.01) {
        return scaleFaces(found.faces, input.width / found.width, input.height / found.height);
      }
    }
    const model = (["front", "back", "auto"] as const).includes(input.params.model as FaceModelChoice) ? (input.params.model as FaceModelChoice) : "auto";
    const landmarks = await meshInstalled(ctx);
    const iris = landmarks && (await irisInstalled(ctx));
    const run = await detectWithLandmarks(ctx.models, input, { model, landmarks, iris, run: { signal: input.signal } });
    return run.faces;
  };
  const featherOf = (params: Record<string, unknown>) => (typeof params.feather === "number" && params.feather > 0 && params.feather <= 4 ? params.feather : 1);
  const faceKinds = MASK_KINDS.map(
    (kind): FiltersMaskProvider => ({
      name: kind,
      label: LABELS[kind][0],
      description: LABELS[kind][1],
      async build(input) {
        return faceMask(await facesFor(input), input.width, input.height, kind, featherOf(input.params));
      },
    }),
  );
  const segmentKinds = SEGMENT_MASK_KINDS.map(
    (kind): FiltersMaskProvider => ({
      name: kind,
      label: LABELS[kind][0],
      description: LABELS[kind][1],
      build: (input) => segmentMask(ctx.models, input, kind, () => facesFor(input), { feather: featherOf(input.params), run: { signal: input.signal } }),
    }),
  );
  return [...faceKinds, ...segmentKinds];
}
