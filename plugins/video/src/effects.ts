import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { ExtensionPointHandle } from "@crealia/kernel/sdk";
import { videoError } from "./errors.js";
import type { ProjectDoc } from "./model/types.js";

export type FileContent = string | Buffer;

/** What a contribution's `compile` gets besides the clip's params. */
export interface VideoEffectEnv {
  /** The tenant the render is for: recipes, presets and LUTs are looked up in it. */
  tenantId: string;
  /** The frame size the chain runs at (the clip already fitted to it) and the project's rate. */
  width: number;
  height: number;
  fps: number;
  /** A low-resolution preview render: an effect may trade precision for speed. */
  preview: boolean;
  /**
   * Puts a file the chain reads (a `.cube`…) in the render's work folder and returns its path.
   * The folder is the job's own and is removed when the job ends, whatever the outcome. When only
   * the plan is shown (or a render request is checked) nothing is written and the path is where
   * the job would put it; give the content as a function to skip making it then.
   */
  writeFile(name: string, content: FileContent | (() => FileContent | Promise<FileContent>)): Promise<string>;
}

/**
 * What a plugin contributes to `video.effect`: a named effect compiled to an ffmpeg filter chain
 * (the `filters` plugin's colour recipes, as a `lut3d` over a .cube it writes, for instance).
 * Clips name it `<pluginId>:<name>`. `compile` throws a coded 4xx error for params it cannot use
 * (an unknown preset, work that cannot apply to video); the render is then refused with it.
 */
export interface VideoEffectContribution {
  name: string;
  description?: string;
  compile(params: Record<string, unknown>, env: VideoEffectEnv): string[] | Promise<string[]>;
}

const num = (v: unknown, def: number, min: number, max: number) => (typeof v === "number" && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : def);

/** Effects that need no other plugin. */
const BUILT_IN: Record<string, (p: Record<string, unknown>) => string[]> = {
  grayscale: () => ["hue=s=0"],
  eq: (p) => [`eq=brightness=${num(p.brightness, 0, -1, 1)}:contrast=${num(p.contrast, 1, 0, 3)}:saturation=${num(p.saturation, 1, 0, 3)}`],
  vignette: (p) => [`vignette=angle=${num(p.angle, Math.PI / 5, 0, Math.PI / 2)}`],
};

export const builtInEffects = () => Object.keys(BUILT_IN);

/** The effect names a tenant can put on clips: the built-ins, then those of the contributors it has enabled. */
export async function effectsFor(point: ExtensionPointHandle<VideoEffectContribution> | null, tenantId: string): Promise<string[]> {
  const contributed = point ? await point.contributionsFor(tenantId) : [];
  return [...builtInEffects(), ...contributed.map((c) => `${c.pluginId}:${c.value.name}`)];
}

export interface ResolveEnv {
  tenantId: string;
  width: number;
  height: number;
  preview: boolean;
  workDir: string;
  /** Write the files effects ask for (the job), or only name them (a plan shown to a client). */
  write: boolean;
}

/**
 * Resolves every clip's effects to filter chains. An effect whose plugin is not enabled for the
 * tenant (or not installed) is a clear 422; a contribution's own 4xx errors pass through.
 */
export async function resolveEffects(
  doc: ProjectDoc,
  point: ExtensionPointHandle<VideoEffectContribution> | null,
  env: ResolveEnv,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let n = 0;
  let available: Awaited<ReturnType<ExtensionPointHandle<VideoEffectContribution>["contributionsFor"]>> | null = null;
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
        available ??= point ? await point.contributionsFor(env.tenantId) : [];
        const c = available.find((x) => x.pluginId === pluginId && x.value.name === name);
        if (!c)
          throw videoError("VIDEO_EFFECT_UNAVAILABLE", `effect ${e.name} is not available: its plugin (${pluginId}) is not installed or not enabled`, {
            clipId: clip.id,
            effect: e.name,
          });
        chains.push(
          ...(await c.value.compile(e.params, {
            tenantId: env.tenantId,
            width: env.width,
            height: env.height,
            fps: doc.fps,
            preview: env.preview,
            writeFile: async (fileName, content) => {
              const file = path.join(env.workDir, `fx-${n++}-${path.basename(fileName).replace(/[^A-Za-z0-9._-]/g, "_")}`);
              if (env.write) await writeFile(file, typeof content === "function" ? await content() : content);
              return file;
            },
          })),
        );
      }
      if (chains.length) out.set(clip.id, chains);
    }
  return out;
}
