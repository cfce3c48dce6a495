import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { ExtensionPointHandle } from "@crealia/kernel/sdk";
import { videoError } from "./errors.js";
import type { ProjectDoc } from "./model/types.js";

/**
 * What a plugin contributes to `video.effect`: a named effect compiled to an ffmpeg filter chain
 * (the `filters` plugin's colour recipes, as a `lut3d` over a .cube it writes, for instance).
 * Clips name it `<pluginId>:<name>`.
 */
export interface VideoEffectContribution {
  name: string;
  description?: string;
  compile(
    params: Record<string, unknown>,
    env: { width: number; height: number; fps: number; writeFile(name: string, content: string | Buffer): Promise<string> },
  ): string[] | Promise<string[]>;
}

const num = (v: unknown, def: number, min: number, max: number) => (typeof v === "number" && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : def);

/** Effects that need no other plugin. */
const BUILT_IN: Record<string, (p: Record<string, unknown>) => string[]> = {
  grayscale: () => ["hue=s=0"],
  eq: (p) => [`eq=brightness=${num(p.brightness, 0, -1, 1)}:contrast=${num(p.contrast, 1, 0, 3)}:saturation=${num(p.saturation, 1, 0, 3)}`],
  vignette: (p) => [`vignette=angle=${num(p.angle, Math.PI / 5, 0, Math.PI / 2)}`],
};

export const builtInEffects = () => Object.keys(BUILT_IN);

/** Resolves every clip's effects to filter chains; an effect whose plugin is absent is a clear 422. */
export async function resolveEffects(
  doc: ProjectDoc,
  point: ExtensionPointHandle<VideoEffectContribution> | null,
  env: { width: number; height: number; workDir: string },
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let n = 0;
  for (const track of doc.tracks)
    for (const clip of track.clips) {
      const chains: string[] = [];
      for (const e of clip.effects) {
        const builtIn = BUILT_IN[e.name];
        if (builtIn) {
          chains.push(...builtIn(e.params));
          continue;
        }
        const [pluginId, name] = e.name.split(":");
        const c = point?.contributions().find((x) => x.pluginId === pluginId && x.value.name === name);
        if (!c) throw videoError("VIDEO_EFFECT_UNAVAILABLE", `effect ${e.name} is not available (is its plugin enabled?)`);
        chains.push(
          ...(await c.value.compile(e.params, {
            width: env.width,
            height: env.height,
            fps: doc.fps,
            writeFile: async (fileName, content) => {
              const file = path.join(env.workDir, `fx-${n++}-${path.basename(fileName).replace(/[^A-Za-z0-9._-]/g, "_")}`);
              await writeFile(file, content);
              return file;
            },
          })),
        );
      }
      if (chains.length) out.set(clip.id, chains);
    }
  return out;
}
