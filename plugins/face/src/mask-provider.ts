/**
 * Face masks for the filters plugin's `filters.mask` extension point: `face/faces`, `face/skin`,
 * `face/eyes`, `face/mouth`. The photo arrives as upright 8-bit RGB at whatever size filters
 * renders; detections stored for that asset version are scaled to it, otherwise BlazeFace runs on
 * the pixels given.
 */
import type { PluginContext } from "@crealia/kernel/sdk";
import { detectFaces, type Face, type FaceModelChoice } from "./detect/detector.js";
import { type FaceMaskKind, faceMask, MASK_KINDS } from "./retouch/masks.js";
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

const LABELS: Record<FaceMaskKind, [string, string]> = {
  faces: ["Faces", "Every face, forehead to chin, feathered"],
  skin: ["Face skin", "Faces without eyes and mouth: for smoothing and skin tone"],
  eyes: ["Eyes", "Both eyes of every face"],
  mouth: ["Mouth", "Lips and teeth of every face"],
};

function scaleFaces(faces: readonly Face[], sx: number, sy: number): Face[] {
  return faces.map((f) => ({
    ...f,
    box: { x: f.box.x * sx, y: f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy },
    keypoints: f.keypoints.map((k) => ({ ...k, x: k.x * sx, y: k.y * sy })),
  }));
}

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
    const run = await detectFaces(ctx.models, input, { model, run: { signal: input.signal } });
    return run.faces;
  };
  return MASK_KINDS.map((kind) => ({
    name: kind,
    label: (LABELS[kind] as [string, string])[0],
    description: (LABELS[kind] as [string, string])[1],
    async build(input) {
      const feather = typeof input.params.feather === "number" && input.params.feather > 0 && input.params.feather <= 4 ? input.params.feather : 1;
      return faceMask(await facesFor(input), input.width, input.height, kind, feather);
    },
  }));
}
