/**
 * The recipe document: a versioned JSON description of a development, applied to one version of
 * an asset and never to its pixels. This file is the one source of the numbers: every slider's
 * range, step and neutral default is declared here once and drives validation, the JSON Schema
 * served to clients, the Develop panel's sliders and the renderer's "is this neutral?" checks.
 */

export const RECIPE_SCHEMA = "crealia.filters.recipe";
/** Bump when a field changes meaning; `upgradeRecipe` turns older documents into this version. */
export const RECIPE_VERSION = 1;

/** One numeric parameter: its range, step, neutral default and how the panel labels it. */
export interface Param {
  min: number;
  max: number;
  default: number;
  step: number;
  label: string;
  unit?: string;
}

const p = (min: number, max: number, def: number, step: number, label: string, unit?: string): Param => ({
  min,
  max,
  default: def,
  step,
  label,
  ...(unit ? { unit } : {}),
});
const slider = (label: string) => p(-100, 100, 0, 1, label);

export const BASIC_PARAMS = {
  temperature: slider("Temperature"),
  tint: slider("Tint"),
  exposure: p(-5, 5, 0, 0.01, "Exposure", "EV"),
  contrast: slider("Contrast"),
  highlights: slider("Highlights"),
  shadows: slider("Shadows"),
  whites: slider("Whites"),
  blacks: slider("Blacks"),
} satisfies Record<string, Param>;

export const PRESENCE_PARAMS = {
  texture: slider("Texture"),
  clarity: slider("Clarity"),
  dehaze: slider("Dehaze"),
  vibrance: slider("Vibrance"),
  saturation: slider("Saturation"),
} satisfies Record<string, Param>;

export const HSL_BANDS = ["red", "orange", "yellow", "green", "aqua", "blue", "purple", "magenta"] as const;
export type HslBand = (typeof HSL_BANDS)[number];
export const HSL_PARAMS = { hue: slider("Hue"), saturation: slider("Saturation"), luminance: slider("Luminance") } satisfies Record<string, Param>;

export const GRADING_WHEELS = ["shadows", "midtones", "highlights", "global"] as const;
export type GradingWheel = (typeof GRADING_WHEELS)[number];
export const WHEEL_PARAMS = {
  hue: p(0, 360, 0, 1, "Hue", "°"),
  saturation: p(0, 100, 0, 1, "Saturation"),
  luminance: slider("Luminance"),
} satisfies Record<string, Param>;
export const GRADING_PARAMS = { blending: p(0, 100, 50, 1, "Blending"), balance: slider("Balance") } satisfies Record<string, Param>;

export const CURVE_CHANNELS = ["rgb", "red", "green", "blue"] as const;
export type CurveChannel = (typeof CURVE_CHANNELS)[number];
/** Control points per curve: at least the two ends, at most this many. */
export const CURVE_MAX_POINTS = 16;

export const LUT_PARAMS = { amount: p(0, 100, 100, 1, "Amount", "%") } satisfies Record<string, Param>;

export const SHARPENING_PARAMS = {
  amount: p(0, 150, 0, 1, "Amount"),
  radius: p(0.5, 3, 1, 0.1, "Radius", "px"),
  detail: p(0, 100, 25, 1, "Detail"),
  masking: p(0, 100, 0, 1, "Masking"),
} satisfies Record<string, Param>;

export const NOISE_PARAMS = {
  luminance: p(0, 100, 0, 1, "Luminance"),
  color: p(0, 100, 0, 1, "Color"),
  detail: p(0, 100, 50, 1, "Detail"),
} satisfies Record<string, Param>;

export const VIGNETTE_PARAMS = {
  amount: slider("Amount"),
  midpoint: p(0, 100, 50, 1, "Midpoint"),
  roundness: slider("Roundness"),
  feather: p(0, 100, 50, 1, "Feather"),
} satisfies Record<string, Param>;

export const GRAIN_PARAMS = {
  amount: p(0, 100, 0, 1, "Amount"),
  size: p(0, 100, 25, 1, "Size"),
  roughness: p(0, 100, 50, 1, "Roughness"),
} satisfies Record<string, Param>;

export const STRAIGHTEN_PARAM = p(-45, 45, 0, 0.1, "Straighten", "°");
export const ROTATIONS = [0, 90, 180, 270] as const;
export type Rotation = (typeof ROTATIONS)[number];

/** Crop aspect presets: width ÷ height, `original` (the photo's own) or `free`. */
export const ASPECTS = {
  free: null,
  original: null,
  "1:1": 1,
  "4:5": 4 / 5,
  "5:4": 5 / 4,
  "2:3": 2 / 3,
  "3:2": 3 / 2,
  "3:4": 3 / 4,
  "4:3": 4 / 3,
  "9:16": 9 / 16,
  "16:9": 16 / 9,
  "1.91:1": 1.91,
} as const satisfies Record<string, number | null>;
export type Aspect = keyof typeof ASPECTS;

/** What a local adjustment can change inside its mask (a subset of the global sliders, same ranges). */
export const LOCAL_PARAMS = {
  exposure: p(-4, 4, 0, 0.01, "Exposure", "EV"),
  contrast: slider("Contrast"),
  highlights: slider("Highlights"),
  shadows: slider("Shadows"),
  whites: slider("Whites"),
  blacks: slider("Blacks"),
  temperature: slider("Temperature"),
  tint: slider("Tint"),
  clarity: slider("Clarity"),
  dehaze: slider("Dehaze"),
  vibrance: slider("Vibrance"),
  saturation: slider("Saturation"),
} satisfies Record<string, Param>;
export const LOCAL_AMOUNT = p(0, 100, 100, 1, "Amount", "%");
export const MAX_LOCAL_ADJUSTMENTS = 16;
export const RADIAL_FEATHER = p(0, 100, 50, 1, "Feather");

export type Values<T extends Record<string, Param>> = { [K in keyof T]: number };

export type CurvePoint = [number, number];

export interface Wheel extends Values<typeof WHEEL_PARAMS> {}

export interface CropRect {
  /** The aspect the rectangle keeps; the renderer trims a rectangle that does not match it about its centre. */
  aspect: Aspect;
  /** Left, top, width and height as fractions (0..1) of the rotated and straightened frame. */
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A gradient from full effect at (x1, y1) to none at (x2, y2); fractions of the image before geometry. */
export interface LinearMask {
  type: "linear";
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  invert: boolean;
}

/** An ellipse centred at (cx, cy) with radii rx, ry (fractions of width and height), rotated by `angle` degrees. */
export interface RadialMask {
  type: "radial";
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  angle: number;
  feather: number;
  invert: boolean;
}

/** A mask another plugin computes through the `filters.mask` extension point (`<plugin-id>/<name>`). */
export interface ExtensionMask {
  type: "extension";
  provider: string;
  params: Record<string, unknown>;
  invert: boolean;
}

export type Mask = LinearMask | RadialMask | ExtensionMask;

export interface LocalAdjustment {
  id: string;
  name: string;
  amount: number;
  mask: Mask;
  adjustments: Values<typeof LOCAL_PARAMS>;
}

/** A recipe with every field present (what `normalizeRecipe` returns and the renderer reads). */
export interface Recipe {
  schema: typeof RECIPE_SCHEMA;
  version: typeof RECIPE_VERSION;
  basic: Values<typeof BASIC_PARAMS>;
  presence: Values<typeof PRESENCE_PARAMS>;
  hsl: Record<HslBand, Values<typeof HSL_PARAMS>>;
  colorGrading: Record<GradingWheel, Wheel> & Values<typeof GRADING_PARAMS>;
  toneCurve: Record<CurveChannel, CurvePoint[]>;
  /** A 3D LUT the tenant imported (`POST /luts`), applied after the tone curve; null for none. */
  lut: { id: string; amount: number } | null;
  detail: { sharpening: Values<typeof SHARPENING_PARAMS>; noiseReduction: Values<typeof NOISE_PARAMS> };
  effects: { vignette: Values<typeof VIGNETTE_PARAMS>; grain: Values<typeof GRAIN_PARAMS> };
  geometry: { rotate: Rotation; straighten: number; flipHorizontal: boolean; flipVertical: boolean; crop: CropRect | null };
  local: LocalAdjustment[];
}

type DeepPartial<T> = T extends (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> | null } : T;
/** What clients may send: any subset; what is left out is neutral (or, for a preset, left as it was). */
export type RecipePatch = DeepPartial<Omit<Recipe, "schema" | "version">> & { schema?: string; version?: number };

const defaults = <T extends Record<string, Param>>(params: T): Values<T> =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.default])) as Values<T>;

export const IDENTITY_CURVE: CurvePoint[] = [
  [0, 0],
  [1, 1],
];

/** The neutral recipe: rendering it gives back the source pixels. */
export function neutralRecipe(): Recipe {
  return {
    schema: RECIPE_SCHEMA,
    version: RECIPE_VERSION,
    basic: defaults(BASIC_PARAMS),
    presence: defaults(PRESENCE_PARAMS),
    hsl: Object.fromEntries(HSL_BANDS.map((b) => [b, defaults(HSL_PARAMS)])) as Recipe["hsl"],
    colorGrading: {
      ...(Object.fromEntries(GRADING_WHEELS.map((w) => [w, defaults(WHEEL_PARAMS)])) as Record<GradingWheel, Wheel>),
      ...defaults(GRADING_PARAMS),
    },
    toneCurve: Object.fromEntries(CURVE_CHANNELS.map((c) => [c, IDENTITY_CURVE.map((pt) => [...pt] as CurvePoint)])) as Recipe["toneCurve"],
    lut: null,
    detail: { sharpening: defaults(SHARPENING_PARAMS), noiseReduction: defaults(NOISE_PARAMS) },
    effects: { vignette: defaults(VIGNETTE_PARAMS), grain: defaults(GRAIN_PARAMS) },
    geometry: { rotate: 0, straighten: 0, flipHorizontal: false, flipVertical: false, crop: null },
    local: [],
  };
}

export function neutralLocalAdjustments(): Values<typeof LOCAL_PARAMS> {
  return defaults(LOCAL_PARAMS);
}

/**
 * Groups of a recipe that can be copied to other photos on their own ("sync", presets). Geometry
 * and local adjustments belong to one photo's framing, so sync leaves them out unless asked.
 */
export const RECIPE_GROUPS = {
  whiteBalance: ["basic.temperature", "basic.tint"],
  tone: ["basic.exposure", "basic.contrast", "basic.highlights", "basic.shadows", "basic.whites", "basic.blacks"],
  presence: ["presence"],
  hsl: ["hsl"],
  colorGrading: ["colorGrading"],
  toneCurve: ["toneCurve"],
  lut: ["lut"],
  detail: ["detail"],
  effects: ["effects"],
  geometry: ["geometry"],
  local: ["local"],
} as const;
export type RecipeGroup = keyof typeof RECIPE_GROUPS;
export const DEFAULT_SYNC_GROUPS: RecipeGroup[] = ["whiteBalance", "tone", "presence", "hsl", "colorGrading", "toneCurve", "lut", "detail", "effects"];

/** The panel's layout and the JSON Schema both come from this table. */
export function paramTable() {
  return {
    basic: BASIC_PARAMS,
    presence: PRESENCE_PARAMS,
    hsl: { bands: HSL_BANDS, params: HSL_PARAMS },
    colorGrading: { wheels: GRADING_WHEELS, wheel: WHEEL_PARAMS, params: GRADING_PARAMS },
    toneCurve: { channels: CURVE_CHANNELS, maxPoints: CURVE_MAX_POINTS },
    lut: LUT_PARAMS,
    detail: { sharpening: SHARPENING_PARAMS, noiseReduction: NOISE_PARAMS },
    effects: { vignette: VIGNETTE_PARAMS, grain: GRAIN_PARAMS },
    geometry: { straighten: STRAIGHTEN_PARAM, rotations: ROTATIONS, aspects: Object.keys(ASPECTS) },
    local: { params: LOCAL_PARAMS, amount: LOCAL_AMOUNT, feather: RADIAL_FEATHER, max: MAX_LOCAL_ADJUSTMENTS, maskTypes: ["linear", "radial", "extension"] },
    groups: Object.keys(RECIPE_GROUPS),
  };
}

// ---- JSON Schema (draft 2020-12 compatible), generated from the table above ----

type JsonSchema = Record<string, unknown>;
const num = (q: Param): JsonSchema => ({ type: "number", minimum: q.min, maximum: q.max, default: q.default, title: q.label });
const obj = (props: Record<string, JsonSchema>): JsonSchema => ({ type: "object", additionalProperties: false, properties: props });
const numbers = (params: Record<string, Param>) => obj(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, num(v)])));
const unit: JsonSchema = { type: "number", minimum: 0, maximum: 1 };
const curve: JsonSchema = {
  type: "array",
  minItems: 2,
  maxItems: CURVE_MAX_POINTS,
  items: { type: "array", prefixItems: [unit, unit], items: false, minItems: 2 },
  description: "Control points [x, y] in 0..1 with strictly increasing x; the first x is 0 and the last is 1.",
};

/** The JSON Schema of a recipe (every field optional: left out means neutral). */
export function recipeJsonSchema(): JsonSchema {
  const local = LOCAL_PARAMS;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `https://crealia.dev/schemas/${RECIPE_SCHEMA}.v${RECIPE_VERSION}.json`,
    title: "Crealia filters recipe",
    type: "object",
    additionalProperties: false,
    properties: {
      schema: { const: RECIPE_SCHEMA },
      version: { type: "integer", minimum: 1, maximum: RECIPE_VERSION },
      basic: numbers(BASIC_PARAMS),
      presence: numbers(PRESENCE_PARAMS),
      hsl: obj(Object.fromEntries(HSL_BANDS.map((b) => [b, numbers(HSL_PARAMS)]))),
      colorGrading: obj({ ...Object.fromEntries(GRADING_WHEELS.map((w) => [w, numbers(WHEEL_PARAMS)])), ...(numbers(GRADING_PARAMS).properties as object) }),
      toneCurve: obj(Object.fromEntries(CURVE_CHANNELS.map((c) => [c, curve]))),
      lut: {
        oneOf: [
          { type: "null" },
          {
            type: "object",
            additionalProperties: false,
            required: ["id"],
            properties: { id: { type: "string", format: "uuid" }, amount: num(LUT_PARAMS.amount) },
          },
        ],
      },
      detail: obj({ sharpening: numbers(SHARPENING_PARAMS), noiseReduction: numbers(NOISE_PARAMS) }),
      effects: obj({ vignette: numbers(VIGNETTE_PARAMS), grain: numbers(GRAIN_PARAMS) }),
      geometry: obj({
        rotate: { enum: [...ROTATIONS] },
        straighten: num(STRAIGHTEN_PARAM),
        flipHorizontal: { type: "boolean" },
        flipVertical: { type: "boolean" },
        crop: {
          oneOf: [
            { type: "null" },
            obj({
              aspect: { enum: Object.keys(ASPECTS) },
              x: unit,
              y: unit,
              width: { type: "number", exclusiveMinimum: 0, maximum: 1 },
              height: { type: "number", exclusiveMinimum: 0, maximum: 1 },
            }),
          ],
        },
      }),
      local: {
        type: "array",
        maxItems: MAX_LOCAL_ADJUSTMENTS,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["mask"],
          properties: {
            id: { type: "string", maxLength: 64 },
            name: { type: "string", maxLength: 100 },
            amount: num(LOCAL_AMOUNT),
            adjustments: numbers(local),
            mask: {
              oneOf: [
                obj({
                  type: { const: "linear" },
                  x1: { type: "number" },
                  y1: { type: "number" },
                  x2: { type: "number" },
                  y2: { type: "number" },
                  invert: { type: "boolean" },
                }),
                obj({
                  type: { const: "radial" },
                  cx: { type: "number" },
                  cy: { type: "number" },
                  rx: { type: "number", exclusiveMinimum: 0 },
                  ry: { type: "number", exclusiveMinimum: 0 },
                  angle: { type: "number", minimum: -180, maximum: 180 },
                  feather: num(RADIAL_FEATHER),
                  invert: { type: "boolean" },
                }),
                obj({
                  type: { const: "extension" },
                  provider: { type: "string", pattern: "^[a-z][a-z0-9-]*/[A-Za-z0-9._-]+$" },
                  params: { type: "object" },
                  invert: { type: "boolean" },
                }),
              ],
            },
          },
        },
      },
    },
  };
}
