/**
 * The filters plugin's contribution to the video plugin's `video.effect` point: a recipe (or a
 * preset) as an ffmpeg filter chain. The colour work is baked into one `.cube` read by `lut3d`;
 * flips (and a 180° turn) become `hflip`/`vflip`. Work that needs a photo's neighbourhood or
 * changes the frame's shape has no faithful video form, so it is refused by name unless the clip
 * asks to drop it (`ignoreUnsupported`).
 */
import { filtersError } from "../errors.js";
import { applyPatch, parseRecipe } from "../recipe/recipe.js";
import { neutralRecipe, type Recipe } from "../recipe/schema.js";
import { compileColor, globalColorSpec } from "../render/color/program.js";
import type { FiltersService } from "../service.js";
import { cubeText } from "./bake-cube.js";

/** The shape of a `video.effect` contribution (declared by the video plugin; repeated here, not imported). */
export interface VideoEffect {
  name: string;
  description: string;
  compile(
    params: Record<string, unknown>,
    env: { tenantId: string; width: number; height: number; fps: number; preview: boolean; writeFile(name: string, content: () => string): Promise<string> },
  ): Promise<string[]>;
}

/** Grid sizes: previews are small and quick; renders get the grid exports use. */
export const VIDEO_CUBE_SIZE = { preview: 33, render: 65 } as const;

/** What of a recipe a video frame cannot get from a colour table and flips, in the panel's words. */
export function notForVideo(recipe: Recipe): string[] {
  const out: string[] = [];
  if (recipe.presence.clarity !== 0) out.push("clarity");
  if (recipe.presence.texture !== 0) out.push("texture");
  if (recipe.detail.sharpening.amount > 0) out.push("sharpening");
  if (recipe.detail.noiseReduction.luminance > 0 || recipe.detail.noiseReduction.color > 0) out.push("noise reduction");
  if (recipe.effects.vignette.amount !== 0) out.push("vignette");
  if (recipe.effects.grain.amount > 0) out.push("grain");
  if (recipe.local.some((l) => l.amount > 0)) out.push("local adjustments (masks)");
  const g = recipe.geometry;
  if (g.crop) out.push("crop");
  if (g.straighten !== 0) out.push("straighten");
  if (g.rotate === 90 || g.rotate === 270) out.push(`rotate ${g.rotate}°`);
  return out;
}

/** The recipe's geometry that ffmpeg does exactly and that keeps the frame's size. */
export function flipChain(recipe: Recipe): string[] {
  const g = recipe.geometry;
  const half = g.rotate === 180;
  return [...(g.flipHorizontal !== half ? ["hflip"] : []), ...(g.flipVertical !== half ? ["vflip"] : [])];
}

interface EffectParams {
  preset: string | null;
  recipe: unknown;
  ignoreUnsupported: boolean;
}

function readParams(params: Record<string, unknown>): EffectParams {
  const bad = (why: string) => filtersError("FILTERS_INVALID_OPTIONS", `filters:recipe effect: ${why}`);
  const unknown = Object.keys(params).filter((k) => !["preset", "recipe", "ignoreUnsupported"].includes(k));
  if (unknown.length) throw bad(`unknown param ${unknown.join(", ")} (it takes preset or recipe, and ignoreUnsupported)`);
  const hasPreset = params.preset !== undefined;
  if (hasPreset === (params.recipe !== undefined)) throw bad("give exactly one of preset (a preset id) or recipe (a recipe document)");
  if (hasPreset && (typeof params.preset !== "string" || !params.preset)) throw bad("preset must be a preset id");
  if (params.ignoreUnsupported !== undefined && typeof params.ignoreUnsupported !== "boolean") throw bad("ignoreUnsupported must be a boolean");
  return { preset: hasPreset ? (params.preset as string) : null, recipe: params.recipe, ignoreUnsupported: params.ignoreUnsupported === true };
}

const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

export function videoEffect(service: Pick<FiltersService, "presets" | "luts">): VideoEffect {
  return {
    name: "recipe",
    description: "A filters recipe or preset's colour (and flips) on a clip: one lut3d over a .cube baked from the recipe.",
    async compile(params, env) {
      const p = readParams(params);
      let recipe: Recipe;
      let label: string;
      if (p.preset !== null) {
        const preset = await service.presets.get(env.tenantId, p.preset);
        recipe = applyPatch(neutralRecipe(), preset.recipe);
        label = preset.name;
      } else {
        recipe = parseRecipe(p.recipe);
        label = "recipe";
      }
      const dropped = notForVideo(recipe);
      if (dropped.length && !p.ignoreUnsupported)
        throw filtersError(
          "FILTERS_NOT_FOR_VIDEO",
          `${p.preset ?? "the recipe"} uses ${dropped.join(", ")}, which cannot apply to video; remove ${dropped.length > 1 ? "them" : "it"} or set ignoreUnsupported to render the rest`,
          { unsupported: dropped },
        );
      const cube = recipe.lut ? await service.luts.load(env.tenantId, recipe.lut.id) : null;
      // Video frames are 8-bit sRGB-like RGB to lut3d; the haze estimate a photo gets is not made per frame.
      const program = compileColor(globalColorSpec(recipe, cube), "srgb");
      const chain = flipChain(recipe);
      if (!program.identity) {
        const size = env.preview ? VIDEO_CUBE_SIZE.preview : VIDEO_CUBE_SIZE.render;
        // Baked only when the render really writes it (not for a plan).
        const name = `${label.replace(/[^A-Za-z0-9]+/g, "-").toLowerCase() || "recipe"}.cube`;
        const file = await env.writeFile(name, () => cubeText(program, size, `Crealia filters: ${label}`));
        chain.push(`lut3d=file=${quote(file)}:interp=tetrahedral`);
      }
      return chain;
    },
  };
}
