import { neutralLocalAdjustments, neutralRecipe, RECIPE_GROUPS, type Recipe, type RecipeGroup, type RecipePatch } from "./schema.js";
import { checkRecipe } from "./validate.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge of `patch` onto `base`: objects merge, arrays and nulls replace, undefined keeps. */
function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return structuredClone(base);
  if (!isObject(patch) || !isObject(base)) return structuredClone(patch);
  const out: Json = { ...structuredClone(base) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = k in base && v !== null ? merge(base[k], v) : structuredClone(v);
  }
  return out;
}

/** A checked patch laid over a recipe: what presets, sync and partial saves do. */
export function applyPatch(recipe: Recipe, patch: RecipePatch): Recipe {
  const { schema: _s, version: _v, local, ...rest } = patch;
  const out = merge(recipe, rest) as Recipe;
  if (local) {
    out.local = local.map((l) => ({ ...l, adjustments: { ...neutralLocalAdjustments(), ...(l.adjustments ?? {}) } })) as Recipe["local"];
  }
  if (out.lut && out.lut.amount == null) out.lut.amount = 100;
  return out;
}

/** Checks any recipe document (full or partial) and returns it complete: what is left out is neutral. */
export function parseRecipe(input: unknown): Recipe {
  return applyPatch(neutralRecipe(), checkRecipe(input));
}

/** Checks a partial recipe (a preset, a sync payload) without filling in defaults. */
export function parsePatch(input: unknown): RecipePatch {
  return checkRecipe(input);
}

function getPath(o: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((acc, k) => (isObject(acc) ? acc[k] : undefined), o);
}

function setPath(o: Json, path: string, value: unknown) {
  const keys = path.split(".");
  let at = o;
  for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Json;
  at[keys[keys.length - 1] as string] = structuredClone(value);
}

/** The part of a recipe in `groups`, as a patch (copy/paste settings, "sync"). */
export function pickGroups(recipe: Recipe, groups: readonly RecipeGroup[]): RecipePatch {
  const out: Json = {};
  for (const g of groups) for (const path of RECIPE_GROUPS[g]) setPath(out, path, getPath(recipe, path));
  return out as RecipePatch;
}

/**
 * The recipe without its neutral values: what presets store and export, so a preset sets only
 * what it means to set. `compact(normalize(x))` renders the same as `x`.
 */
export function compactRecipe(recipe: Recipe): RecipePatch {
  const neutral = neutralRecipe() as unknown as Json;
  const walk = (value: unknown, base: unknown): unknown => {
    if (isObject(value) && isObject(base)) {
      const out: Json = {};
      for (const [k, v] of Object.entries(value)) {
        const c = walk(v, base[k]);
        if (c !== undefined) out[k] = c;
      }
      return Object.keys(out).length ? out : undefined;
    }
    return JSON.stringify(value) === JSON.stringify(base) ? undefined : structuredClone(value);
  };
  const { schema: _s, version: _v, ...rest } = recipe;
  const { schema: _ns, version: _nv, ...neutralRest } = neutral;
  return (walk(rest, neutralRest) ?? {}) as RecipePatch;
}

/** Whether a recipe renders the source unchanged. */
export function isNeutral(recipe: Recipe): boolean {
  return Object.keys(compactRecipe(recipe)).length === 0;
}
